import type { ProtocolEmitted } from '../machines/protocol-events.js';

/**
 * Turns a machine's lease events into a deadline on a real or virtual clock. The machine
 * cannot read a clock, so it says when a round starts and when a quorum granted it; the
 * lease then runs from that round's start, which is before any follower heard of it.
 * Checking the deadline on every read (not only on a timer) keeps a process that was paused
 * past its lease from believing it still leads.
 */
export class LeaseClock {
  private starts = new Map<number, { at: number; durationMs: number }>();
  private deadline = Number.NEGATIVE_INFINITY;

  constructor(private readonly now: () => number) {}

  /** Feeds one emitted event; returns true when it changed the deadline. */
  observe(event: ProtocolEmitted): boolean {
    switch (event.type) {
      case 'lease.start':
        this.starts.set(event.round, { at: this.now(), durationMs: event.durationMs });
        return false;
      case 'lease.granted': {
        const start = this.starts.get(event.round);
        for (const round of this.starts.keys()) if (round <= event.round) this.starts.delete(round);
        if (start === undefined) return false;
        const until = start.at + start.durationMs;
        if (until <= this.deadline) return false;
        this.deadline = until;
        return true;
      }
      case 'lease.revoked':
        this.starts.clear();
        this.deadline = Number.NEGATIVE_INFINITY;
        return true;
      default:
        return false;
    }
  }

  holds(): boolean {
    return this.now() < this.deadline;
  }

  /** When the lease ends if nothing renews it (-Infinity when none is held). */
  get expiresAt(): number {
    return this.deadline;
  }
}
