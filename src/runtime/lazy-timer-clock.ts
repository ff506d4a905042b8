/** What a LazyTimerClock arms its one real timer with (Node's timers unless a test says). */
export interface TimerApi {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  setTimeout(fn: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** A real timer as a LazyTimerClock holds it: ref'd while something is pending, as XState's are. */
export interface TimerHandle {
  ref(): unknown;
  unref(): unknown;
}

const NODE_TIMERS: TimerApi = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

interface Pending {
  at: number;
  fn: () => void;
}

/**
 * A clock for XState actors (createActor's `clock`) that keeps one real timer for all its
 * timeouts. A follower at rest cancels its election timer and arms it again, a little later,
 * on every heartbeat; with Node's timers each of those is a clearTimeout and a setTimeout.
 * Here a timeout whose deadline is not the earliest only goes into a table: the real timer
 * stays armed for the earliest deadline, and when it fires it runs what is due and arms
 * itself for what is left. A timeout never fires before Node's own timer would have.
 */
export class LazyTimerClock {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private timer: TimerHandle | undefined;
  /** The deadline the real timer was armed for (Infinity while none is). */
  private timerAt = Number.POSITIVE_INFINITY;
  private refed = true;

  constructor(private readonly timers: TimerApi = NODE_TIMERS) {}

  setTimeout(fn: () => void, ms: number): number {
    const id = this.nextId++;
    const at = this.timers.now() + Math.max(0, ms);
    this.pending.set(id, { at, fn });
    if (at < this.timerAt) this.arm(at);
    else this.ref(true);
    return id;
  }

  clearTimeout(id: number): void {
    if (!this.pending.delete(id)) return;
    // The real timer stays: the next timeout set most likely needs it. Unref'd, it cannot
    // keep the process alive with nothing pending, and it does nothing when it fires.
    if (this.pending.size === 0) this.ref(false);
  }

  /** How many timeouts are waiting (for tests and diagnostics). */
  get size(): number {
    return this.pending.size;
  }

  private arm(at: number): void {
    if (this.timer !== undefined) this.timers.clearTimeout(this.timer);
    this.timerAt = at;
    this.timer = this.timers.setTimeout(() => this.fire(), Math.max(0, at - this.timers.now()));
    this.refed = true;
  }

  private ref(on: boolean): void {
    if (this.timer === undefined || this.refed === on) return;
    this.refed = on;
    if (on) this.timer.ref();
    else this.timer.unref();
  }

  private fire(): void {
    // Node fired the timer armed for `timerAt`, so by its clock that deadline has passed,
    // and with it every deadline up to it. Only those pending now run: one set while they
    // run waits for a later turn of the event loop, as it would with Node's timers.
    const due: [number, Pending][] = [];
    for (const entry of this.pending) if (entry[1].at <= this.timerAt) due.push(entry);
    due.sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    try {
      for (const [id, p] of due) {
        // An earlier one may have cancelled it.
        if (this.pending.delete(id)) p.fn();
      }
    } finally {
      let earliest = Number.POSITIVE_INFINITY;
      for (const p of this.pending.values()) if (p.at < earliest) earliest = p.at;
      if (earliest < this.timerAt) this.arm(earliest);
    }
  }
}
