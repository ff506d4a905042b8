/**
 * Notices that this process stopped running for a while (SIGSTOP, a long GC pause, a
 * blocked event loop) and keeps it from acting as leader for a while after. Protocols
 * without a lease (Bully, LES) have no deadline that runs out during a pause: a leader that
 * resumes would act at once although its peers may have chosen another one meanwhile. After
 * a pause longer than `afterMs` the node holds off for `holdMs`, in which its machine keeps
 * announcing itself and a newer leader hears of it and yields.
 *
 * The gap is measured on every read as well as on a timer, so whichever runs first after a
 * pause (the application's own timer, or this one) already sees it.
 */
export class PauseGuard {
  private lastBeat: number;
  private holdUntil = Number.NEGATIVE_INFINITY;
  private timer: NodeJS.Timeout | undefined;
  private pauses = 0;

  constructor(
    private readonly now: () => number,
    private readonly afterMs: number,
    private readonly holdMs: number,
  ) {
    this.lastBeat = now();
  }

  /** Beats on a timer; `onChange` runs when a hold begins or ends. */
  start(onChange: () => void): void {
    this.lastBeat = this.now();
    let held = false;
    this.timer = setInterval(
      () => {
        const holding = this.holding();
        if (holding !== held) {
          held = holding;
          onChange();
        }
      },
      Math.max(10, Math.floor(this.afterMs / 4)),
    );
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** True while the node must not act as leader after a pause. */
  holding(): boolean {
    const t = this.now();
    if (t - this.lastBeat > this.afterMs) {
      this.holdUntil = t + this.holdMs;
      this.pauses++;
    }
    this.lastBeat = t;
    return t < this.holdUntil;
  }

  /** Pauses noticed so far. */
  get count(): number {
    return this.pauses;
  }
}
