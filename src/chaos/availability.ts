import type { ClaimEvent } from './history.js';
import type { Tenure } from './tenures.js';

const mid = (c: ClaimEvent): number => (c.t0 + c.t1) / 2;

export function median(xs: number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * When somebody was working as leader, told from the claims. A gap between two claims
 * (by anyone) wider than `threshold` counts as time without a leader.
 */
export class Availability {
  private readonly moments: number[];
  readonly medianSpacingMs: number | null;
  readonly thresholdMs: number;

  constructor(claims: ClaimEvent[], tenures: Tenure[], fallbackThresholdMs: number) {
    this.moments = claims.map(mid).sort((a, b) => a - b);
    const spacings = tenures.flatMap((t) =>
      t.claims.slice(1).map((c, i) => mid(c) - mid(t.claims[i]!)),
    );
    this.medianSpacingMs = median(spacings);
    // Three median spacings: one late claim on a loaded machine is not an outage.
    this.thresholdMs =
      this.medianSpacingMs === null ? fallbackThresholdMs : 3 * this.medianSpacingMs;
  }

  /** Time in [from, to] that falls in a gap wider than the threshold. */
  unavailableMs(from: number, to: number): number {
    if (to <= from) return 0;
    let total = 0;
    let prev = Number.NEGATIVE_INFINITY;
    for (const p of [...this.moments, Number.POSITIVE_INFINITY]) {
      if (p - prev > this.thresholdMs) {
        const lo = Math.max(prev, from);
        const hi = Math.min(p, to);
        if (hi > lo) total += hi - lo;
      }
      prev = p;
      if (p >= to) break;
    }
    return total;
  }
}
