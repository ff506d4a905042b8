import type { GroupKeepAlive, KvGroupStore } from './group-types.js';
import type { MemoryStore } from './memory-store.js';
import type { AcquireRequest, AcquireResult, KvWatchEvent } from './types.js';

/** A shared lease in a memory store: its keys, and whether it was revoked. */
interface MemoryLease {
  keys: Set<string>;
  revoked: boolean;
}

/** The shared leases of each memory store, so a test can list and revoke them. */
const registry = new WeakMap<MemoryStore, Map<string, MemoryLease>>();
let grants = 0;

function leasesOf(store: MemoryStore): Map<string, MemoryLease> {
  let leases = registry.get(store);
  if (leases === undefined) {
    leases = new Map();
    registry.set(store, leases);
  }
  return leases;
}

/** The shared leases a memory store holds, as etcd's lease list would show them. */
export function memoryLeases(store: MemoryStore): string[] {
  return [...leasesOf(store)].filter(([, l]) => !l.revoked).map(([id]) => id);
}

/** Revokes a shared lease of a memory store, as `etcdctl lease revoke` would: its keys go at once. */
export function revokeMemoryLease(store: MemoryStore, lease: string): void {
  const held = leasesOf(store).get(lease);
  if (held === undefined) return;
  held.revoked = true;
  for (const key of held.keys) store.releaseNow({ key, owner: lease });
  held.keys.clear();
  leasesOf(store).delete(lease);
}

/**
 * The memory store's side of a group: keys keep their own TTL (as in Redis), held under the
 * lease's handle, and one keep-alive extends them all; a revoked lease takes its keys along.
 */
export class MemoryGroup implements KvGroupStore {
  readonly kind = 'memory';

  constructor(private readonly store: MemoryStore) {}

  async connect(): Promise<void> {}

  async grant(): Promise<string> {
    const lease = `lease-${++grants}`;
    leasesOf(this.store).set(lease, { keys: new Set(), revoked: false });
    return lease;
  }

  async keepAlive(lease: string, ttlMs: number, keys: readonly string[]): Promise<GroupKeepAlive> {
    const held = leasesOf(this.store).get(lease);
    if (held === undefined || held.revoked) return { alive: false, lost: keys };
    const lost = keys.filter((key) => !this.store.renewNow({ key, owner: lease, ttlMs }));
    for (const key of lost) held.keys.delete(key);
    return { alive: true, lost };
  }

  async acquire(lease: string, request: AcquireRequest): Promise<AcquireResult> {
    const held = leasesOf(this.store).get(lease);
    if (held === undefined || held.revoked) throw new Error(`memory lease ${lease} is gone`);
    const result = this.store.acquireNow({ ...request, owner: lease });
    if (result.acquired) held.keys.add(request.key);
    return result;
  }

  async release(key: string, owner: string): Promise<void> {
    leasesOf(this.store).get(owner)?.keys.delete(key);
    this.store.releaseNow({ key, owner });
  }

  async revoke(lease: string): Promise<void> {
    revokeMemoryLease(this.store, lease);
  }

  read(key: string) {
    return this.store.read(key);
  }

  inspect(key: string) {
    return this.store.inspect(key);
  }

  watch(key: string, listener: (event: KvWatchEvent) => void): () => void {
    return this.store.watch(key, listener);
  }

  async close(): Promise<void> {}
}
