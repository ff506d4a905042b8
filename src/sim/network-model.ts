import type { SeededGenerator } from './seeded-generator.js';

/** How long a message spends in flight, in virtual milliseconds. */
export type DelayDistribution =
  | { kind: 'fixed'; ms: number }
  | { kind: 'uniform'; minMs: number; maxMs: number }
  /** Mostly fast with a long tail, as real networks are: min + exponential(mean). */
  | { kind: 'exponential'; minMs: number; meanMs: number };

/** The simulated network's random faults. */
export interface NetworkFaults {
  delay: DelayDistribution;
  /** Probability that a message is lost. */
  loss: number;
  /** Probability that a message is delivered twice (the copy with its own delay). */
  duplicate: number;
}

export const DEFAULT_FAULTS: NetworkFaults = {
  delay: { kind: 'uniform', minMs: 1, maxMs: 5 },
  loss: 0,
  duplicate: 0,
};

/**
 * Which links carry traffic. Partitions split nodes into groups that cannot reach each
 * other; cuts are one-way (a→b dropped while b→a still flows). Random delays make
 * messages overtake one another, which is the reordering a real network shows.
 */
export class NetworkModel {
  faults: NetworkFaults;
  private group = new Map<string, number>();
  private cuts = new Set<string>();

  constructor(faults: Partial<NetworkFaults> = {}) {
    this.faults = { ...DEFAULT_FAULTS, ...faults };
  }

  /** Splits the nodes into groups that cannot reach each other; nodes in no group form one more. */
  partition(groups: string[][]): void {
    this.group.clear();
    groups.forEach((ids, i) => {
      for (const id of ids) this.group.set(id, i + 1);
    });
  }

  /** Drops everything `from` sends `to`, one way only. */
  cut(from: string, to: string): void {
    this.cuts.add(`${from}\u0000${to}`);
  }

  /** Ends every partition and cut. */
  heal(): void {
    this.group.clear();
    this.cuts.clear();
  }

  /** Whether a message from `from` can reach `to` now. */
  connected(from: string, to: string): boolean {
    if ((this.group.get(from) ?? 0) !== (this.group.get(to) ?? 0)) return false;
    return this.cuts.size === 0 || !this.cuts.has(`${from}\u0000${to}`);
  }

  /** The delays of the copies that arrive: none if lost, two if duplicated. */
  fate(rng: SeededGenerator): number[] {
    const f = this.faults;
    if (rng.chance(f.loss)) return [];
    const first = drawDelay(f.delay, rng);
    return rng.chance(f.duplicate) ? [first, drawDelay(f.delay, rng)] : [first];
  }
}

export function drawDelay(d: DelayDistribution, rng: SeededGenerator): number {
  switch (d.kind) {
    case 'fixed':
      return d.ms;
    case 'uniform':
      return rng.between(d.minMs, d.maxMs);
    case 'exponential':
      return d.minMs + Math.round(-Math.log(1 - rng.next()) * d.meanMs);
  }
}
