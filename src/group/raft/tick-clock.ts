/** The timers a tick clock stands on: real ones in a process, virtual ones in a simulation. */
export interface BaseClock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** The process's own timers, read on the monotonic clock. */
export const PROCESS_CLOCK: BaseClock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
  now: () => performance.now(),
};

/** A timer waiting for the next tick; its own class, so `clearTimeout` can tell it apart. */
class TickTimer {
  constructor(readonly fn: () => void) {}
}

/**
 * The clock every election of a group runs on (XState's `clock` option). A timer of exactly
 * one tick, which is what a leader's heartbeat timer asks for, joins the next shared tick
 * instead of running on its own: all the group's leaders then beat in the same instant, and
 * their heartbeats to one peer leave in one frame. Every other timer runs as asked.
 *
 * Such a timer only ever fires earlier than asked, never later, and never by more than a
 * tick. That is safe for every timer of that length the Raft machine arms: a heartbeat
 * sooner renews the lease sooner; a vote round retried sooner, or a candidacy that drew
 * exactly one tick for the rest of its timeout, affects when a node stands, never what it
 * may promise. The timers the lease rests on (contact with a leader, CheckQuorum) are at
 * least three heartbeats long and keep their exact delays.
 */
export class TickClock {
  private due = new Set<TickTimer>();
  private armed: unknown;
  /** The grid instant the armed tick stands for. */
  private nextAt = Number.NEGATIVE_INFINITY;
  /** Ticks run so far: the unit the group's frame counts are read in. */
  ticks = 0;

  constructor(
    readonly tickMs: number,
    private readonly base: BaseClock,
    /** A timer's callback threw: one election's fault, never a reason to skip the others. */
    private readonly failed: (error: unknown) => void,
  ) {}

  setTimeout(fn: () => void, timeout: number): unknown {
    if (timeout !== this.tickMs) return this.base.setTimeout(fn, timeout);
    const timer = new TickTimer(fn);
    this.due.add(timer);
    this.arm();
    return timer;
  }

  clearTimeout(handle: unknown): void {
    if (handle instanceof TickTimer) this.due.delete(handle);
    else this.base.clearTimeout(handle);
  }

  /** Drops every timer waiting for a tick; the group is stopping. */
  stop(): void {
    this.due.clear();
    if (this.armed !== undefined) this.base.clearTimeout(this.armed);
    this.armed = undefined;
  }

  private arm(): void {
    if (this.armed !== undefined || this.due.size === 0) return;
    const now = this.base.now();
    // The first grid instant after now, and after the last tick even if that one ran early.
    const at = Math.max(
      (Math.floor(now / this.tickMs) + 1) * this.tickMs,
      this.nextAt + this.tickMs,
    );
    this.nextAt = at;
    this.armed = this.base.setTimeout(() => this.tick(), at - now);
  }

  private tick(): void {
    this.armed = undefined;
    this.ticks++;
    const timers = [...this.due];
    this.due.clear();
    for (const timer of timers) {
      try {
        timer.fn();
      } catch (error) {
        this.failed(error);
      }
    }
    this.arm();
  }
}
