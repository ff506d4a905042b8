import type { KvHolder, KvWatchEvent } from './types.js';
import { withTimeout } from './types.js';

/**
 * One watch's output: passes on holders only when they change, ends at the first error,
 * and (with `checkMs`) also reads the key on a timer. A read that was under way while a
 * pushed event arrived is discarded, so an older answer never overwrites a newer event.
 */
export class WatchFeed {
  private last: KvHolder | null | undefined;
  private ended = false;
  private epoch = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly stops: (() => void)[] = [];

  constructor(
    private readonly listener: (event: KvWatchEvent) => void,
    private readonly read: () => Promise<KvHolder | null>,
    private readonly timeoutMs: number,
  ) {}

  get active(): boolean {
    return !this.ended;
  }

  /** A holder pushed by the store's own watch mechanism. */
  push(holder: KvHolder | null): void {
    if (this.ended) return;
    this.epoch++;
    this.emit(holder);
  }

  fail(err: unknown): void {
    if (this.ended) return;
    this.end();
    this.listener({ type: 'error', error: err instanceof Error ? err : new Error(String(err)) });
  }

  /** Reads the key now and reports it (used for the first event and by the timer). */
  async check(): Promise<void> {
    if (this.ended) return;
    const epoch = this.epoch;
    try {
      const holder = await withTimeout(this.read(), this.timeoutMs, 'watch read');
      if (epoch === this.epoch) this.emit(holder);
    } catch (err) {
      this.fail(err);
    }
  }

  /** Reads every `ms` until the feed ends; each read waits for the one before. */
  every(ms: number | undefined): void {
    if (ms === undefined || this.ended) return;
    const tick = () => {
      this.timer = setTimeout(async () => {
        await this.check();
        if (!this.ended) tick();
      }, ms);
      this.timer.unref();
    };
    tick();
  }

  /** Runs `stop` when the feed ends (a watcher to cancel, a listener to remove). */
  onEnd(stop: () => void): void {
    if (this.ended) stop();
    else this.stops.push(stop);
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.timer);
    for (const stop of this.stops.splice(0)) {
      try {
        stop();
      } catch {
        // Ending a watch on a store that is gone may fail; there is nothing left to undo.
      }
    }
  }

  private emit(holder: KvHolder | null): void {
    const last = this.last;
    if (
      last !== undefined &&
      (last === holder ||
        (last !== null &&
          holder !== null &&
          last.value === holder.value &&
          last.token === holder.token))
    ) {
      return;
    }
    this.last = holder;
    this.listener({ type: 'holder', holder });
  }
}
