import type { AcquireRequest, AcquireResult, KvHeld, KvHolder, KvWatchEvent } from './types.js';

/** What one keep-alive of a shared lease found. */
export interface GroupKeepAlive {
  /** False when the store no longer knows the lease (revoked, expired, a new session). */
  alive: boolean;
  /** Keys sent along that this lease no longer holds (stores that keep a TTL per key). */
  lost: readonly string[];
}

/**
 * A store's side of an election group: many keys under one lease (an etcd lease, the
 * ZooKeeper session, or an owner handle whose keys one request extends together). The
 * election group (`createElectionGroup`) drives it; every method is at most one request,
 * except `watch`, which makes none at rest.
 */
export interface KvGroupStore {
  /** The store's kind, as `KvStore.kind`. */
  readonly kind: string;
  /** Opens the client and proves the store answers. */
  connect(ttlMs: number): Promise<void>;
  /** Opens a shared lease of `ttlMs`; answers its handle. */
  grant(ttlMs: number): Promise<string>;
  /**
   * One request: keeps `lease` alive, and where the store keeps a TTL per key, extends each
   * of `keys` held under it by `ttlMs`, reporting those it no longer holds.
   */
  keepAlive(lease: string, ttlMs: number, keys: readonly string[]): Promise<GroupKeepAlive>;
  /** Creates the key under `lease` unless someone holds it (one transaction or script). */
  acquire(lease: string, request: AcquireRequest): Promise<AcquireResult>;
  /** Deletes the key if `owner` still holds it; the lease stays for the other keys. */
  release(key: string, owner: string): Promise<void>;
  /** Ends the lease and every key under it (best effort: it may already be gone). */
  revoke(lease: string, keys: readonly string[]): Promise<void>;
  /** The key's holder now. */
  read(key: string): Promise<KvHolder | null>;
  /** The key's holder with its handle. */
  inspect(key: string): Promise<KvHeld | null>;
  /**
   * Follows one key: its holder now, then each change. Makes no periodic requests: a
   * store whose watches can miss an event offers `readAll`, which the group runs for all.
   */
  watch(key: string, listener: (event: KvWatchEvent) => void, owner?: string): () => void;
  /** One request: the live holder of each of `keys` (a key left out is free). */
  readAll?(keys: readonly string[]): Promise<Map<string, KvHolder>>;
  /** Ends what the group opened (subscriptions, streams); the store itself stays open. */
  close(): Promise<void>;
}

/** A KvStore that can carry election groups. */
export interface KvGroupCapable {
  /** The group side of this store for the keys under `prefix` (which ends in `/`). */
  group(prefix: string): KvGroupStore;
}
