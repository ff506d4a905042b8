import type { Etcd3, IKeyValue, IOptions, ITxnResponse } from 'etcd3';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
  WatchOptions,
} from './types.js';
import { loadClient, withTimeout } from './types.js';
import { WatchFeed } from './watch-feed.js';

/** Options of `etcdStore`. */
export interface EtcdStoreOptions {
  /** `host:port` or `http://host:port`, one or several members. */
  hosts: string | string[];
  /** Deadline of each call (default 2000 ms). */
  timeoutMs?: number;
  /** More options for the etcd3 client (TLS credentials, auth). */
  client?: Partial<IOptions>;
}

type Etcd3Module = { Etcd3: new (options: IOptions) => Etcd3 };

/**
 * Passes calls straight through: the election does its own retrying and backoff, and
 * etcd3's default circuit breaker would hold calls back for seconds after the store
 * returns.
 */
const noRetry = {
  execute: <T>(fn: (context: { signal: AbortSignal; attempt: number }) => T) =>
    Promise.resolve().then(() => fn({ signal: new AbortController().signal, attempt: 0 })),
};

/**
 * etcd (v3 API) through the npm package `etcd3`, loaded when first needed. Each holder
 * owns a lease; acquiring is one transaction that creates the key under that lease only if
 * the key does not exist; releasing revokes the lease. The fencing token is the key's
 * create revision, which etcd raises on every creation.
 */
export class EtcdStore implements KvStore {
  readonly kind = 'etcd';
  private client: Promise<Etcd3> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: EtcdStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async connect(): Promise<void> {
    const etcd = await this.etcd();
    // Any answer will do: it proves the connection and warms it.
    await etcd.kv.range({ key: Buffer.from('\u0000electorate-connect') });
  }

  async acquire({ key, value, ttlMs, owner }: AcquireRequest): Promise<AcquireResult> {
    const etcd = await this.etcd();
    if (owner !== undefined) {
      // Both at once, one round trip: the keep-alive (sent after the election's lease clock
      // started) is what makes the lease outlast the election's deadline, so the answer
      // counts only if the lease is alive.
      const [alive, res] = await Promise.all([
        this.keepAlive(etcd, owner),
        this.createIfAbsent(etcd, key, value, owner).catch((err: unknown) => err),
      ]);
      if (alive) {
        if (res instanceof Error) throw res;
        return this.outcome(etcd, res as ITxnResponse, owner);
      }
      if (!(res instanceof Error) && (res as ITxnResponse).succeeded) {
        // Created under a lease that expired at that moment: etcd would drop the key at its
        // next sweep; revoking drops it now, so the others need not wait.
        await this.revoke(etcd, owner).catch(() => undefined);
        return { acquired: false, holder: null };
      }
    }
    const granted = await etcd.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000), ID: 0 });
    const lease = String(granted.ID);
    return this.outcome(etcd, await this.createIfAbsent(etcd, key, value, lease), lease);
  }

  /** One transaction: put the key under `lease` if it does not exist, else read it. */
  private createIfAbsent(etcd: Etcd3, key: string, value: string, lease: string) {
    const k = Buffer.from(key);
    return etcd.kv.txn({
      compare: [{ key: k, target: 'Create', result: 'Equal', create_revision: 0 }],
      success: [{ request_put: { key: k, value: Buffer.from(value), lease } }],
      failure: [{ request_range: { key: k } }],
    });
  }

  private outcome(etcd: Etcd3, res: ITxnResponse, lease: string): AcquireResult {
    if (res.succeeded) {
      return { acquired: true, owner: lease, token: Number(res.header.revision) };
    }
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv !== undefined && String(kv.lease) === lease) {
      return { acquired: true, owner: lease, token: Number(kv.create_revision) };
    }
    // Not kept for the next attempt: a lease nobody renews while its candidate waits would
    // expire on the way, and a key created under it in that instant would vanish again.
    void this.revoke(etcd, lease).catch(() => undefined);
    return { acquired: false, holder: kv === undefined ? null : holderOf(kv) };
  }

  private async revoke(etcd: Etcd3, lease: string): Promise<void> {
    try {
      await etcd.leaseClient.leaseRevoke({ ID: lease });
    } catch (err) {
      // Already expired or revoked: the key is gone either way.
      if (!leaseGone(err)) throw err;
    }
  }

  async renew({ key, owner }: { key: string; owner: string }): Promise<boolean> {
    const etcd = await this.etcd();
    const [alive, range] = await Promise.all([
      this.keepAlive(etcd, owner),
      etcd.kv.range({ key: Buffer.from(key) }),
    ]);
    return alive && String(range.kvs[0]?.lease) === owner;
  }

  async release({ owner }: { key: string; owner: string }): Promise<void> {
    await this.revoke(await this.etcd(), owner);
  }

  async read(key: string): Promise<KvHolder | null> {
    const etcd = await this.etcd();
    const res = await etcd.kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    return kv === undefined ? null : holderOf(kv);
  }

  /** The key and the lease it lives under: that lease is the holder's handle. */
  async inspect(key: string): Promise<KvHeld | null> {
    const etcd = await this.etcd();
    const res = await etcd.kv.range({ key: Buffer.from(key) });
    const kv = res.kvs[0];
    return kv === undefined ? null : { holder: holderOf(kv), owner: String(kv.lease) };
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, options: WatchOptions = {}) {
    const feed = new WatchFeed(listener, () => this.read(key), this.timeoutMs);
    (async () => {
      const etcd = await this.etcd();
      const res = await withTimeout(
        etcd.kv.range({ key: Buffer.from(key) }),
        this.timeoutMs,
        'etcd read',
      );
      const kv = res.kvs[0];
      feed.push(kv === undefined ? null : holderOf(kv));
      // From the revision after the read: nothing between the two is missed.
      const watcher = await withTimeout(
        etcd
          .watch()
          .key(key)
          .startRevision(String(Number(res.header.revision) + 1))
          .create(),
        this.timeoutMs,
        'etcd watch',
      );
      feed.onEnd(() => void watcher.cancel().catch(() => undefined));
      watcher.on('put', (put) => feed.push(holderOf(put)));
      watcher.on('delete', () => feed.push(null));
      watcher.on('disconnected', (err) => feed.fail(err));
      watcher.on('error', (err) => feed.fail(err));
      feed.every(options.checkMs);
    })().catch((err) => feed.fail(err));
    return () => feed.end();
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client !== undefined) (await client.catch(() => undefined))?.close();
  }

  private etcd(): Promise<Etcd3> {
    this.client ??= loadClient<Etcd3Module>('etcd3', 'etcd').then((mod) => {
      const hosts = (
        Array.isArray(this.options.hosts) ? this.options.hosts : [this.options.hosts]
      ).map((h) => (h.includes('://') ? h : `http://${h}`));
      return new mod.Etcd3({
        ...this.options.client,
        hosts,
        dialTimeout: this.timeoutMs,
        defaultCallOptions: (context) =>
          context.isStream ? {} : { deadline: Date.now() + this.timeoutMs },
        // biome-ignore lint/suspicious/noExplicitAny: a policy needs only execute()
        faultHandling: { host: () => noRetry as any, global: noRetry as any },
      });
    });
    return this.client;
  }

  /** One keep-alive round trip: true if the lease is still alive. */
  private async keepAlive(etcd: Etcd3, lease: string): Promise<boolean> {
    const stream = await etcd.leaseClient.leaseKeepAlive();
    try {
      return await withTimeout(
        new Promise<boolean>((resolve, reject) => {
          stream.on('data', (res: { TTL: string }) => resolve(Number(res.TTL) > 0));
          stream.on('error', reject);
          stream.write({ ID: lease });
        }),
        this.timeoutMs,
        'etcd keep-alive',
      );
    } finally {
      stream.end();
    }
  }
}

/** etcd3 turns "requested lease not found" into EtcdLeaseInvalidError (which keeps Error's name). */
function leaseGone(err: unknown): boolean {
  return (
    (err as object)?.constructor?.name === 'EtcdLeaseInvalidError' ||
    /lease not found|expired or revoked/.test((err as Error)?.message ?? '')
  );
}

function holderOf(kv: IKeyValue): KvHolder {
  return { value: kv.value.toString(), token: Number(kv.create_revision) };
}

/** etcd as the election's store (npm package `etcd3`). */
export function etcdStore(options: EtcdStoreOptions): EtcdStore {
  return new EtcdStore(options);
}
