import { nextRandom } from '../../machines/seeded-random.js';

/** The simulator's single source of randomness: every fault and delay is drawn here. */
export class SeededGenerator {
  private state: number;

  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** A float in [0, 1). */
  next(): number {
    const r = nextRandom(this.state);
    this.state = r.state;
    return r.value;
  }

  /** An integer in [min, max]. */
  between(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }

  /** A 32-bit seed for a machine's own generator. */
  seed(): number {
    return Math.floor(this.next() * 4294967296) | 0;
  }
}
