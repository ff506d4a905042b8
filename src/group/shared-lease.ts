import type { KvGroupStore } from '../../transports/kv/group-types.js';
import { withTimeout } from '../../transports/kv/types.js';
import type { GroupTiming } from './group-timing.js';

/** A key held under the shared lease; a new object for every acquisition. */
export interface HeldKey {
  owner: string;
}

/** What the shared lease tells the group. */
export interface SharedLeaseHooks {
  /** The lease lapsed: every key it held (key → owner handle) is lost; `reason` says why. */
  lapsed(held: Map<string, string>, reason: string): void;
  /** A keep-alive (or a revoke) failed. */
  error(error: Error): void;
}

/**
 * One lease for every election of a group, kept alive by one request every `keepaliveMs`.
 * An election's renewal is answered from it: true once a keep-alive sent no earlier than
 * `keepaliveMs` before the renewal confirmed the lease, which is what lets a renewal cost
 * no request while its deadline (send + TTL − margin − keepaliveMs) stays before the
 * store's expiry of the lease (keep-alive send + TTL) by the margin.
 *
 * When no keep-alive has confirmed the lease for an election's whole lease length
 * (TTL − margin − keepaliveMs), or the store says the lease is gone, the lease lapses:
 * every key under it is given up at once, the lease is revoked (best effort), and the next
 * acquire opens a new one.
 */
export class SharedLease {
  private lease: string | undefined;
  private granting: Promise<string> | undefined;
  /** Counts lapses: a lease of an older generation is never trusted again. */
  private generation = 0;
  /** Send time of the latest keep-alive (or grant) the store confirmed, this generation. */
  private confirmedAt = Number.NEGATIVE_INFINITY;
  private inFlight: { sentAt: number; done: Promise<void> } | undefined;
  /**
   * After a failed keep-alive, what a renewal waits on: the scheduled retry. Sending one
   * per waiting renewal instead would multiply the requests by the elections just when
   * the store is struggling.
   */
  private retry: { done: Promise<void>; settle(result: Promise<void>): void } | undefined;
  private readonly held = new Map<string, HeldKey>();
  private keepTimer: NodeJS.Timeout | undefined;
  private lapseTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Store requests this lease made (grants, keep-alives, revokes), for status. */
  requests = 0;
  lapses = 0;

  constructor(
    private readonly store: KvGroupStore,
    private readonly timing: GroupTiming,
    private readonly hooks: SharedLeaseHooks,
  ) {}

  /** The lease's handle now (undefined before the first acquire and after a lapse). */
  get handle(): string | undefined {
    return this.lease;
  }

  /** How long before a renewal a keep-alive may have left and still answer it. */
  get windowMs(): number {
    return this.timing.keepaliveMs;
  }

  /** The generation of the lease in force, if there is one. */
  liveGeneration(): number | undefined {
    return this.lease === undefined || this.closed ? undefined : this.generation;
  }

  get keys(): number {
    return this.held.size;
  }

  /** The lease to acquire under, granted on first use; with the generation it belongs to. */
  async current(): Promise<{ lease: string; generation: number }> {
    if (this.closed) throw new Error('the election group is stopped');
    const generation = this.generation;
    if (this.lease !== undefined) return { lease: this.lease, generation };
    if (this.granting === undefined) {
      const sentAt = performance.now();
      const granting = withTimeout(
        this.store.grant(this.timing.ttlMs),
        this.timing.requestTimeoutMs,
        `${this.store.kind} lease grant`,
      );
      this.requests++;
      this.granting = granting;
      granting.then(
        (lease) => {
          if (this.granting !== granting) return;
          this.granting = undefined;
          if (this.generation !== generation || this.closed) {
            void this.store.revoke(lease, []).catch(() => undefined);
            return;
          }
          this.lease = lease;
          this.confirmed(sentAt);
          this.schedule(this.timing.keepaliveMs);
        },
        () => {
          if (this.granting === granting) this.granting = undefined;
        },
      );
    }
    const lease = await this.granting;
    if (this.generation !== generation) throw new Error('the shared lease lapsed');
    return { lease, generation };
  }

  /** Whether a lease of `generation` is still the one in force. */
  valid(generation: number): boolean {
    return generation === this.generation && !this.closed;
  }

  /** Records a key won under the lease; returns its record. */
  hold(key: string, owner: string): HeldKey {
    const entry = { owner };
    this.held.set(key, entry);
    return entry;
  }

  heldBy(key: string): HeldKey | undefined {
    return this.held.get(key);
  }

  drop(key: string, owner: string): void {
    if (this.held.get(key)?.owner === owner) this.held.delete(key);
  }

  /**
   * Resolves true once a keep-alive sent at `since` or later has confirmed the lease of
   * `generation`; false if that lease lapses first. A keep-alive is sent at once if none
   * under way qualifies. Rejects when the keep-alive it waited on failed.
   */
  async confirm(since: number, generation: number): Promise<boolean> {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (!this.valid(generation)) return false;
      if (this.confirmedAt >= since) return true;
      const flight =
        this.inFlight !== undefined && this.inFlight.sentAt >= since
          ? this.inFlight
          : (this.retry ?? this.keepAliveNow());
      if (flight === undefined) return false;
      await flight.done;
    }
    return this.valid(generation) && this.confirmedAt >= since;
  }

  /** Checks the lease now (an acquire under it failed: perhaps it is gone). */
  probe(): void {
    void this.check();
  }

  /** Settles once a keep-alive sent now (or one under way) has settled, whatever it found. */
  check(): Promise<void> {
    const flight = this.inFlight ?? this.keepAliveNow();
    return flight === undefined ? Promise.resolve() : flight.done.catch(() => undefined);
  }

  /** Stops keeping the lease alive and revokes it. */
  async close(): Promise<void> {
    this.closed = true;
    this.dropRetry();
    clearTimeout(this.keepTimer);
    clearTimeout(this.lapseTimer);
    const lease = this.lease ?? (await this.granting?.catch(() => undefined));
    this.lease = undefined;
    const keys = [...this.held.keys()];
    this.held.clear();
    if (lease !== undefined) {
      this.requests++;
      await withTimeout(
        this.store.revoke(lease, keys),
        this.timing.requestTimeoutMs,
        `${this.store.kind} lease revoke`,
      ).catch((err) => this.hooks.error(err as Error));
    }
  }

  private keepAliveNow(): { sentAt: number; done: Promise<void> } | undefined {
    const lease = this.lease;
    if (lease === undefined || this.closed) return undefined;
    clearTimeout(this.keepTimer);
    const generation = this.generation;
    const sentAt = performance.now();
    const sent = new Map(this.held);
    this.requests++;
    const done = withTimeout(
      this.store.keepAlive(lease, this.timing.ttlMs, [...sent.keys()]),
      this.timing.requestTimeoutMs,
      `${this.store.kind} keep-alive`,
    ).then(
      (result) => {
        if (this.inFlight?.done === done) this.inFlight = undefined;
        if (generation !== this.generation || this.closed) return;
        if (!result.alive) {
          this.lapse('the store no longer knows the shared lease (revoked or expired)');
          return;
        }
        for (const key of result.lost) {
          // Only the acquisition the keep-alive asked about: a key won since is kept.
          if (this.held.get(key) === sent.get(key)) this.held.delete(key);
        }
        this.confirmed(sentAt);
        this.schedule(sentAt + this.timing.keepaliveMs - performance.now());
      },
      (err: Error) => {
        if (this.inFlight?.done === done) this.inFlight = undefined;
        if (generation !== this.generation || this.closed) throw err;
        this.hooks.error(
          new Error(`shared lease keep-alive failed: ${err.message}`, { cause: err }),
        );
        this.awaitRetry();
        this.schedule(Math.min(this.timing.keepaliveMs, this.timing.retryMs));
        throw err;
      },
    );
    const flight = { sentAt, done };
    this.inFlight = flight;
    const retry = this.retry;
    this.retry = undefined;
    retry?.settle(done);
    // The loop does not wait on it: whoever needs it awaits `done`.
    done.catch(() => undefined);
    return flight;
  }

  private awaitRetry(): void {
    if (this.retry !== undefined) return;
    let settle: (result: Promise<void>) => void = () => undefined;
    const done = new Promise<void>((resolve) => {
      settle = resolve;
    });
    done.catch(() => undefined);
    this.retry = { done, settle };
  }

  /** Lets whoever waits on a retry that will not come look again (a lapse, a stop). */
  private dropRetry(): void {
    const retry = this.retry;
    this.retry = undefined;
    retry?.settle(Promise.resolve());
  }

  private schedule(ms: number): void {
    clearTimeout(this.keepTimer);
    if (this.closed || this.lease === undefined) return;
    this.keepTimer = setTimeout(
      () => void this.keepAliveNow()?.done.catch(() => undefined),
      Math.max(0, ms),
    );
    this.keepTimer.unref();
  }

  private confirmed(sentAt: number): void {
    if (sentAt <= this.confirmedAt) return;
    this.confirmedAt = sentAt;
    clearTimeout(this.lapseTimer);
    const generation = this.generation;
    const wait = sentAt + this.timing.leaseMs - performance.now();
    this.lapseTimer = setTimeout(
      () => {
        if (generation === this.generation && this.confirmedAt === sentAt) {
          this.lapse(
            `no keep-alive confirmed the shared lease for ${this.timing.leaseMs} ms (the store may expire it)`,
          );
        }
      },
      Math.max(0, wait),
    );
    this.lapseTimer.unref();
  }

  /** Whether the lease is past the point where every election under it must stop. */
  overdue(): boolean {
    return performance.now() >= this.confirmedAt + this.timing.leaseMs;
  }

  private lapse(reason: string): void {
    this.generation++;
    this.lapses++;
    clearTimeout(this.keepTimer);
    clearTimeout(this.lapseTimer);
    const lease = this.lease;
    this.lease = undefined;
    this.granting = undefined;
    this.inFlight = undefined;
    this.dropRetry();
    this.confirmedAt = Number.NEGATIVE_INFINITY;
    const held = new Map([...this.held].map(([key, entry]) => [key, entry.owner]));
    const keys = [...held.keys()];
    this.held.clear();
    this.hooks.lapsed(held, reason);
    this.hooks.error(new Error(`shared lease lapsed: ${reason}`));
    if (lease !== undefined) {
      // Frees the keys for the other candidates now, if the store answers.
      this.requests++;
      void withTimeout(
        this.store.revoke(lease, keys),
        this.timing.requestTimeoutMs,
        `${this.store.kind} lease revoke`,
      ).catch(() => undefined);
    }
  }
}
