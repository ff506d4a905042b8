/**
 * A key-value store that can arbitrate an election: one key, held under a TTL lease by at
 * most one owner at a time, watched by everyone else. Every backend (embedded memory, etcd,
 * ZooKeeper, Redis) implements this; the election machine reaches it only through the store
 * actor (`kvStoreActor`), so the machine itself never touches a client.
 */

/** Who holds a key: the value the holder wrote (its node id) and the key's fencing token. */
export interface KvHolder {
  value: string;
  /**
   * Grows every time the key changes hands (etcd: create revision; ZooKeeper: the winning
   * znode's sequence; Redis: INCR; memory: a counter). A downstream service that remembers
   * the highest token it has seen can reject a deposed leader's late writes.
   */
  token: number;
}

/** A holder as read back, with the handle that holds the key (`owner` of AcquireResult). */
export interface KvHeld {
  holder: KvHolder;
  owner: string;
}

/** What `KvStore.acquire` is asked: create `key` with `value` under a lease of `ttlMs`. */
export interface AcquireRequest {
  key: string;
  value: string;
  ttlMs: number;
  /**
   * The owner handle from an earlier acquire of this key (a lease id, a znode, a nonce). A
   * store that still knows it reuses it: a leader that lost touch with the store gets its
   * key back without waiting out its own lease, and a ZooKeeper candidate keeps its place.
   */
  owner?: string;
}

/**
 * What `KvStore.acquire` answers: the key is ours, with its owner handle and fencing token, or
 * someone else's.
 */
export type AcquireResult =
  | { acquired: true; owner: string; token: number }
  /** Someone else holds the key (or, `holder` null, nobody does yet but this candidate is queued). */
  | { acquired: false; holder: KvHolder | null; owner?: string };

/** What a `KvStore.watch` listener hears. */
export type KvWatchEvent =
  /** The key's holder now (null: the key is free). The first event reports the state when the watch began. */
  | { type: 'holder'; holder: KvHolder | null }
  /** The watch broke (the store went away); it delivers nothing more. Watch again to resume. */
  | { type: 'error'; error: Error };

/** Options of `KvStore.watch`. */
export interface WatchOptions {
  /** A queueing store (ZooKeeper) then watches only the candidate just ahead of this one. */
  owner?: string;
  /**
   * Also read the key this often: catches an event the watch missed, and turns a store that
   * stopped answering (frozen, unreachable) into an error even when no connection broke.
   */
  checkMs?: number;
}

/**
 * A key-value store that can arbitrate an election: one key, held under a TTL lease by at most one
 * owner at a time, watched by everyone else.
 */
export interface KvStore {
  /** 'memory', 'etcd', 'zookeeper' or 'redis': for messages and status. */
  readonly kind: string;
  /**
   * Opens the client and proves the store answers (optional: a store without it counts as
   * connected). `ttlMs` is the election's lease, for stores whose session carries it.
   */
  connect?(ttlMs: number): Promise<void>;
  /** Creates the key with `value` under a TTL lease if nobody holds it. */
  acquire(request: AcquireRequest): Promise<AcquireResult>;
  /** Extends the owner's lease by its TTL; false when the lease or key is already gone. */
  renew(request: { key: string; owner: string; ttlMs: number }): Promise<boolean>;
  /** Deletes the key if `owner` still holds it, and drops the owner's lease. */
  release(request: { key: string; owner: string }): Promise<void>;
  /** The key's holder now, or null when it is free. */
  read(key: string): Promise<KvHolder | null>;
  /**
   * The key's holder with its owner handle (null when free): what an election reads back
   * after an acquire whose answer it never got, to adopt the lease or release it by handle.
   * Optional for stores of one's own: without it the election learns the holder only, and
   * a lease it won unawares runs out by its TTL.
   */
  inspect?(key: string): Promise<KvHeld | null>;
  /**
   * Reports the key's holder now, then every change (put, delete, expiry). Returns a
   * function that ends the watch.
   */
  watch(key: string, listener: (event: KvWatchEvent) => void, options?: WatchOptions): () => void;
  /** Closes the client, after the requests under way have settled. */
  close(): Promise<void>;
}

/** Thrown when an optional store client package is not installed. */
export class MissingStoreClientError extends Error {
  constructor(
    readonly packageName: string,
    store: string,
    cause: unknown,
  ) {
    super(`the ${store} store needs the npm package '${packageName}': npm install ${packageName}`, {
      cause,
    });
    this.name = 'MissingStoreClientError';
  }
}

/** Loads an optional peer dependency, naming it in the error when it is not installed. */
export async function loadClient<T>(packageName: string, store: string): Promise<T> {
  try {
    const mod = (await import(packageName)) as T & { default?: T };
    return mod;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new MissingStoreClientError(packageName, store, err);
    }
    throw err;
  }
}

/** A promise that rejects after `ms` with a message naming what timed out. */
export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
