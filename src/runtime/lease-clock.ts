import type { ProtocolEmitted } from '../../machines/protocol-events.js';

/**
 * A lease as time left from some instant: what the model checker keeps in a state, where
 * only distances matter. `starts` are rounds begun and not yet granted, each with the lease
 * it would give; rounds whose lease would already have ended are left out, since granting
 * them could change nothing.
 */
export interface LeaseState {
  remaining: number;
  starts: readonly (readonly [round: number, left: number])[];
}

export const NO_LEASE: LeaseState = { remaining: 0, starts: [] };

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

  /** A clock reading `now`, holding `state` as measured from this instant. */
  constructor(
    private readonly now: () => number,
    state: LeaseState = NO_LEASE,
  ) {
    if (state.remaining > 0) this.deadline = now() + state.remaining;
    const at = now();
    for (const [round, left] of state.starts) this.starts.set(round, { at, durationMs: left });
  }

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

  /** The lease as time left from now (see LeaseState). */
  state(): LeaseState {
    const now = this.now();
    const starts: [number, number][] = [];
    for (const [round, s] of this.starts) {
      const left = s.at + s.durationMs - now;
      if (left > 0) starts.push([round, left]);
    }
    const remaining = Math.max(0, this.deadline - now);
    return remaining === 0 && starts.length === 0 ? NO_LEASE : { remaining, starts };
  }
}

/** `state` once `ms` more have passed. */
export function leaseAfter(state: LeaseState, ms: number): LeaseState {
  let now = 0;
  const clock = new LeaseClock(() => now, state);
  now = ms;
  return clock.state();
}
