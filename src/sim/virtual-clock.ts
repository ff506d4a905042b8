import type { EventQueue, QueuedEvent } from './event-queue.js';

/**
 * One node's view of virtual time, in the shape XState's `clock` option expects. Each node
 * has its own so that a crash can drop exactly its timers and a freeze can hold them.
 */
export class VirtualClock {
  private timers = new Set<QueuedEvent>();

  constructor(
    private readonly queue: EventQueue,
    private readonly now: () => number,
    /** Decides whether a due callback runs now or must wait (a frozen node). */
    private readonly dispatch: (run: () => void) => void,
  ) {}

  setTimeout(fn: (...args: unknown[]) => void, timeout: number): QueuedEvent {
    const ev = this.queue.push(this.now() + Math.max(0, timeout), () => {
      this.timers.delete(ev);
      // Held while the node was frozen, the timer may have been cancelled before it ran.
      this.dispatch(() => {
        if (!ev.cancelled) fn();
      });
    });
    this.timers.add(ev);
    return ev;
  }

  clearTimeout(id: unknown): void {
    const ev = id as QueuedEvent;
    ev.cancelled = true;
    this.timers.delete(ev);
  }

  /** Forget every pending timer: the process holding them is gone. */
  clearAll(): void {
    for (const ev of this.timers) ev.cancelled = true;
    this.timers.clear();
  }
}
