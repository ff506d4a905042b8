import type { Client } from 'node-zookeeper-client';
import type { GroupKeepAlive, KvGroupStore } from './group-types.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
} from './types.js';

/** What the ZooKeeper store lends its group side. */
export interface ZookeeperGroupParts {
  store: KvStore;
  /** The session's client (opened, with `ttlMs` as its timeout, if none is open). */
  client(ttlMs?: number): Promise<Client>;
  /** Refuses a session the server granted shorter than the TTL. */
  checkGranted(client: Client, ttlMs: number): void;
  /** One request that proves the session is alive at the server. */
  ping(client: Client): Promise<void>;
  /** Closes the session if it is still `id` (its ephemeral znodes go with it). */
  endSession(id: string): Promise<void>;
}

const sessionOf = (client: Client) => client.getSessionId().toString('hex');

/**
 * ZooKeeper's side of an election group: the lease is the store's one session, which every
 * election's ephemeral znodes already share; a keep-alive is one cheap request on it (any
 * request restarts the session's timeout at the server), and a new session id means the
 * lease is gone. Watches are ZooKeeper's own, which miss nothing while the session lives,
 * so the group reads nothing periodically.
 */
export class ZookeeperGroup implements KvGroupStore {
  readonly kind = 'zookeeper';

  constructor(private readonly parts: ZookeeperGroupParts) {}

  async connect(ttlMs: number): Promise<void> {
    await this.parts.store.connect?.(ttlMs);
  }

  async grant(ttlMs: number): Promise<string> {
    const client = await this.parts.client(ttlMs);
    this.parts.checkGranted(client, ttlMs);
    return sessionOf(client);
  }

  async keepAlive(lease: string): Promise<GroupKeepAlive> {
    const client = await this.parts.client();
    if (sessionOf(client) !== lease) return { alive: false, lost: [] };
    await this.parts.ping(client);
    return { alive: sessionOf(await this.parts.client()) === lease, lost: [] };
  }

  async acquire(lease: string, request: AcquireRequest): Promise<AcquireResult> {
    if (sessionOf(await this.parts.client()) !== lease) {
      throw new Error('the zookeeper session of the shared lease has ended');
    }
    return this.parts.store.acquire(request);
  }

  release(key: string, owner: string): Promise<void> {
    return this.parts.store.release({ key, owner });
  }

  revoke(lease: string): Promise<void> {
    return this.parts.endSession(lease);
  }

  read(key: string): Promise<KvHolder | null> {
    return this.parts.store.read(key);
  }

  inspect(key: string): Promise<KvHeld | null> {
    return this.parts.store.inspect!(key);
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, owner?: string): () => void {
    return this.parts.store.watch(key, listener, owner === undefined ? {} : { owner });
  }

  async close(): Promise<void> {}
}
