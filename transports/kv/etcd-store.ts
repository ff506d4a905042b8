import type { Etcd3, IKeyValue, IOptions, ITxnResponse } from 'etcd3';
import { EtcdGroup } from './etcd-group.js';
import type { KvGroupCapable, KvGroupStore } from './group-types.js';
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
 * A lease granted for an acquire that found the key held, kept alive for the next acquire of
 * that key: when the key frees up, taking it is one transaction, not a grant and then a
 * transaction (two disk writes on etcd).
 */
interface Spare {
  lease: string;
  /** The TTL it was granted with, in seconds. */
  ttlS: number;
  timer: NodeJS.Timeout;
  /** A keep-alive is under way: the next tick skips. */
  renewing: boolean;
  /** When an acquire last used it (monotonic ms): one nobody asks for again is revoked. */
  usedAt: number;
}

/**
 * etcd (v3 API) through the npm package `etcd3`, loaded when first needed. Each holder
 * owns a lease; acquiring is one transaction that creates the key under that lease only if
 * the key does not exist; releasing revokes the lease. The fencing token is the key's
 * create revision, which etcd raises on every creation.
 *
 * A candidate that finds the key held keeps its lease as a spare, alive every third of the
 * TTL (as etcd's own election sessions keep theirs), and its next acquire of the key
 * sends that lease's keep-alive and the transaction at once: one round trip once the key is
 * free. A spare no acquire has used for two TTLs is revoked, and so is every spare on
 * `close()`.
 */
export class EtcdStore implements KvStore, KvGroupCapable {
  readonly kind = 'etcd';
  private client: Promise<Etcd3> | undefined;
  private readonly timeoutMs: number;
  /** At most one per key. */
  private readonly spares = new Map<string, Spare>();

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
    const ttlS = Math.ceil(ttlMs / 1000);
    if (owner !== undefined) {
      const res = await this.underLease(etcd, key, value, owner);
      if (res === 'dropped') return { acquired: false, holder: null };
      if (res !== 'gone') {
        const won = this.won(res, owner);
        if (won !== undefined) return won;
        // Not kept for the next attempt: the election still names this handle, and would
        // send it again.
        void this.revoke(etcd, owner).catch(() => undefined);
        return { acquired: false, holder: heldBy(res) };
      }
    }
    const spare = this.takeSpare(etcd, key, ttlS);
    if (spare !== undefined) {
      let res: ITxnResponse | 'gone' | 'dropped';
      try {
        res = await this.underLease(etcd, key, value, spare.lease);
      } catch (err) {
        // Perhaps applied: the election reads the key back and adopts or releases the lease.
        this.forgetSpare(spare);
        throw err;
      }
      if (res === 'dropped') {
        this.forgetSpare(spare);
        return { acquired: false, holder: null };
      }
      if (res !== 'gone') {
        const won = this.won(res, spare.lease);
        if (won !== undefined) {
          // The election renews it from now on.
          this.forgetSpare(spare);
          return won;
        }
        this.keepSpare(etcd, key, spare);
        return { acquired: false, holder: heldBy(res) };
      }
      this.forgetSpare(spare);
    }
    const granted = await etcd.leaseClient.leaseGrant({ TTL: ttlS, ID: 0 });
    const lease = String(granted.ID);
    const res = await this.createIfAbsent(etcd, key, value, lease);
    const won = this.won(res, lease);
    if (won !== undefined) return won;
    this.keepSpare(etcd, key, this.spare(etcd, key, lease, ttlS, ttlMs));
    return { acquired: false, holder: heldBy(res) };
  }

  /**
   * Creates the key under `lease` unless it exists, and keeps the lease alive, both at once
   * (one round trip). The keep-alive (sent after the election's lease clock started) is
   * what makes the lease outlast the election's deadline, so the answer counts only if the
   * lease is alive: 'gone' if it is not, 'dropped' if the key was created under it all the
   * same (then revoked again).
   */
  private async underLease(
    etcd: Etcd3,
    key: string,
    value: string,
    lease: string,
  ): Promise<ITxnResponse | 'gone' | 'dropped'> {
    const [alive, res] = await Promise.all([
      this.keepAlive(etcd, lease),
      this.createIfAbsent(etcd, key, value, lease).catch((err: unknown) => err),
    ]);
    if (alive) {
      if (res instanceof Error) throw res;
      return res as ITxnResponse;
    }
    if (!(res instanceof Error) && (res as ITxnResponse).succeeded) {
      // Created under a lease that expired at that moment: etcd would drop the key at its
      // next sweep; revoking drops it now, so the others need not wait.
      await this.revoke(etcd, lease).catch(() => undefined);
      return 'dropped';
    }
    return 'gone';
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

  /** The key is held under `lease` (just created, or from before): the acquire won. */
  private won(res: ITxnResponse, lease: string): AcquireResult | undefined {
    if (res.succeeded) {
      return { acquired: true, owner: lease, token: Number(res.header.revision) };
    }
    const kv = res.responses[0]?.response_range?.kvs[0];
    if (kv !== undefined && String(kv.lease) === lease) {
      return { acquired: true, owner: lease, token: Number(kv.create_revision) };
    }
    return undefined;
  }

  private spare(etcd: Etcd3, key: string, lease: string, ttlS: number, ttlMs: number): Spare {
    const spare: Spare = {
      lease,
      ttlS,
      renewing: false,
      usedAt: performance.now(),
      timer: setInterval(
        () => {
          if (this.spares.get(key) === spare && performance.now() - spare.usedAt > 2 * ttlMs) {
            this.spares.delete(key);
            this.forgetSpare(spare);
            void this.revoke(etcd, lease).catch(() => undefined);
            return;
          }
          if (spare.renewing) return;
          spare.renewing = true;
          this.keepAlive(etcd, lease).then(
            (alive) => {
              spare.renewing = false;
              if (alive) return;
              if (this.spares.get(key) === spare) this.spares.delete(key);
              this.forgetSpare(spare);
            },
            // The store is away: try again at the next tick.
            () => {
              spare.renewing = false;
            },
          );
        },
        Math.max(1, Math.round(ttlMs / 3)),
      ),
    };
    spare.timer.unref();
    return spare;
  }

  /** The key's spare, taken out for one acquire (another acquire meanwhile gets none). */
  private takeSpare(etcd: Etcd3, key: string, ttlS: number): Spare | undefined {
    const spare = this.spares.get(key);
    if (spare === undefined) return undefined;
    this.spares.delete(key);
    if (spare.ttlS !== ttlS) {
      // Granted for another TTL: not a lease this acquire may count on.
      this.forgetSpare(spare);
      void this.revoke(etcd, spare.lease).catch(() => undefined);
      return undefined;
    }
    spare.usedAt = performance.now();
    return spare;
  }

  /** Keeps `spare` for the key's next acquire; one is enough, so a second one is revoked. */
  private keepSpare(etcd: Etcd3, key: string, spare: Spare): void {
    const kept = this.spares.get(key);
    if (kept === undefined && this.client !== undefined) {
      this.spares.set(key, spare);
      return;
    }
    this.forgetSpare(spare);
    void this.revoke(etcd, spare.lease).catch(() => undefined);
  }

  /** Stops keeping the spare alive (the election holds it now, or it is gone). */
  private forgetSpare(spare: Spare): void {
    clearInterval(spare.timer);
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

  /** The side an election group uses: one lease for every key under `prefix`. */
  group(prefix: string): KvGroupStore {
    return new EtcdGroup(
      {
        store: this,
        etcd: () => this.etcd(),
        timeoutMs: this.timeoutMs,
        createIfAbsent: (etcd, key, value, lease) => this.createIfAbsent(etcd, key, value, lease),
        won: (res, lease) => this.won(res, lease),
        heldBy,
        holderOf,
        revoke: (etcd, lease) => this.revoke(etcd, lease),
      },
      prefix,
    );
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    const spares = [...this.spares.values()];
    this.spares.clear();
    for (const spare of spares) this.forgetSpare(spare);
    const etcd = await client?.catch(() => undefined);
    if (etcd === undefined) return;
    await Promise.all(spares.map((spare) => this.revoke(etcd, spare.lease).catch(() => undefined)));
    etcd.close();
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

/** Who holds the key, from a transaction that found it (null: nobody, the put failed). */
function heldBy(res: ITxnResponse): KvHolder | null {
  const kv = res.responses[0]?.response_range?.kvs[0];
  return kv === undefined ? null : holderOf(kv);
}

/** etcd as the election's store (npm package `etcd3`). */
export function etcdStore(options: EtcdStoreOptions): EtcdStore {
  return new EtcdStore(options);
}
