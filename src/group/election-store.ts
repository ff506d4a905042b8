import type { KvGroupStore } from '../../transports/kv/group-types.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
  WatchOptions,
} from '../../transports/kv/types.js';
import type { GroupWatches } from './group-watches.js';
import type { RequestGate } from './request-gate.js';
import type { SharedLease } from './shared-lease.js';

/**
 * One election's view of the group's store: the KvStore its unchanged KV machine talks to.
 * Acquires go under the shared lease; renewals are answered from the lease's keep-alives;
 * watches and a waiting candidate's re-acquires cost no periodic request.
 */
export class ElectionStore implements KvStore {
  readonly kind: string;
  /** Set when the shared lease lapsed under this election's key; cleared when it wins again. */
  lapsed = false;
  /** Handles that lapsed with the lease: their release is the lease's revoke. */
  private readonly lapsedOwners = new Set<string>();

  constructor(
    private readonly id: string,
    private readonly store: KvGroupStore,
    private readonly lease: SharedLease,
    private readonly watches: GroupWatches,
    private readonly connectOnce: (ttlMs: number) => Promise<void>,
    private readonly gate: RequestGate,
  ) {
    this.kind = store.kind;
  }

  connect(ttlMs: number): Promise<void> {
    return this.connectOnce(ttlMs);
  }

  /** The shared lease lapsed while this key was held under `owner`. */
  lapse(owner: string | undefined): void {
    this.lapsed = true;
    if (owner !== undefined) this.lapsedOwners.add(owner);
  }

  async acquire(request: AcquireRequest): Promise<AcquireResult> {
    const sentAt = performance.now();
    const other = this.watches.heldByOther(request.key, this.id);
    if (other !== undefined) {
      return {
        acquired: false,
        holder: other,
        ...(request.owner === undefined ? {} : { owner: request.owner }),
      };
    }
    const { lease, generation } = await this.lease.current();
    let result: AcquireResult;
    try {
      result = await this.gate.run(() => this.store.acquire(lease, request));
    } catch (err) {
      this.lease.probe();
      throw err;
    }
    if (!result.acquired) return result;
    this.lease.hold(request.key, result.owner);
    // The lease must be confirmed alive by a keep-alive sent no earlier than a renewal's
    // window before this acquire left, as for a renewal.
    const alive = await this.lease.confirm(sentAt - this.lease.windowMs, generation);
    if (!alive) throw new Error('the shared lease lapsed while the key was being acquired');
    this.lapsed = false;
    return result;
  }

  async renew({ key, owner }: { key: string; owner: string }): Promise<boolean> {
    const sentAt = performance.now();
    const held = this.lease.heldBy(key);
    if (held === undefined || held.owner !== owner) return false;
    const generation = this.lease.liveGeneration();
    if (generation === undefined) return false;
    const alive = await this.lease.confirm(sentAt - this.lease.windowMs, generation);
    return alive && this.lease.heldBy(key) === held;
  }

  async release({ key, owner }: { key: string; owner: string }): Promise<void> {
    this.lease.drop(key, owner);
    if (this.lapsedOwners.delete(owner)) return;
    await this.store.release(key, owner);
  }

  read(key: string): Promise<KvHolder | null> {
    return this.store.read(key);
  }

  inspect(key: string): Promise<KvHeld | null> {
    return this.store.inspect(key);
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, options: WatchOptions = {}) {
    // checkMs is left out on purpose: the group reads every key at once instead.
    return this.watches.watch(
      key,
      (event) => {
        const held = this.lease.heldBy(key);
        if (
          event.type === 'holder' &&
          held !== undefined &&
          (event.holder === null || event.holder.value !== this.id)
        ) {
          // Gone from under the shared lease: first learn (one keep-alive) whether the whole
          // lease went, so every election under it is deposed together and says so.
          void this.lease.check().finally(() => listener(event));
          return;
        }
        listener(event);
      },
      options.owner,
    );
  }

  /** The group closes the store's group side; an election stopping closes nothing. */
  async close(): Promise<void> {}
}
