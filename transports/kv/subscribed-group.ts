import { randomBytes } from 'node:crypto';
import type { GroupKeepAlive, KvGroupStore } from './group-types.js';
import { SharedWatch } from './shared-watch.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
} from './types.js';

/**
 * What the etcd, Redis and PostgreSQL group sides have in common: reads go to the store,
 * watches share one subscription (`subscribe`), and a key is taken and released by the
 * store's own owner-checked acquire and release, the lease's handle as the owner (etcd
 * overrides both to work under its lease).
 */
export abstract class SubscribedGroup implements KvGroupStore {
  abstract readonly kind: string;
  private readonly shared: SharedWatch;

  constructor(
    protected readonly store: KvStore,
    timeoutMs: number,
  ) {
    this.shared = new SharedWatch(
      (deliver, fail) => this.subscribe(deliver, fail),
      (key) => store.read(key),
      timeoutMs,
    );
  }

  /** Opens the one subscription every watch shares; returns how to end it. */
  protected abstract subscribe(
    deliver: (key: string, holder?: KvHolder | null) => void,
    fail: (err: unknown) => void,
  ): Promise<() => void>;

  abstract keepAlive(
    lease: string,
    ttlMs: number,
    keys: readonly string[],
  ): Promise<GroupKeepAlive>;

  abstract revoke(lease: string, keys: readonly string[]): Promise<void>;

  abstract readAll(keys: readonly string[]): Promise<Map<string, KvHolder>>;

  async connect(ttlMs: number): Promise<void> {
    await this.store.connect?.(ttlMs);
  }

  /** A handle of its own: the store keeps no lease, only the owner written into each key. */
  async grant(_ttlMs: number): Promise<string> {
    return randomBytes(12).toString('hex');
  }

  acquire(lease: string, request: AcquireRequest): Promise<AcquireResult> {
    return this.store.acquire({ ...request, owner: lease });
  }

  release(key: string, owner: string): Promise<void> {
    return this.store.release({ key, owner });
  }

  read(key: string): Promise<KvHolder | null> {
    return this.store.read(key);
  }

  inspect(key: string): Promise<KvHeld | null> {
    return this.store.inspect!(key);
  }

  watch(key: string, listener: (event: KvWatchEvent) => void): () => void {
    return this.shared.watch(key, listener);
  }

  /** Ends the subscription; the store itself stays open. */
  close(): Promise<void> {
    return this.shared.close();
  }
}
