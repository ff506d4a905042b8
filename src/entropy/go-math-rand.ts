import { rngCooked } from './go-rng-cooked.js';

const RNG_LEN = 607;
const RNG_TAP = 273;
const INT32_MAX = 2147483647;
const INT32_MAX_BIG = 2147483647n;
const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;
// Go substitutes this for a seed that reduces to zero, which would otherwise stall seedrand.
const ZERO_SEED_SUBSTITUTE = 89482311;

const cooked = BigInt64Array.from(rngCooked);

/**
 * One step of the Park–Miller generator Go seeds with, in the same Schrage decomposition so
 * every intermediate stays inside int32 exactly as it does in Go.
 */
function seedrand(x: number): number {
  const hi = Math.floor(x / 44488);
  const lo = x % 44488;
  const next = 48271 * lo - 3399 * hi;
  return next < 0 ? next + INT32_MAX : next;
}

function toInt64(value: bigint | number, what: string): bigint {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) {
      throw new RangeError(`${what} must be a safe integer or a bigint, got ${value}`);
    }
    return BigInt(value);
  }
  if (value < INT64_MIN || value > INT64_MAX) {
    throw new RangeError(`${what} must fit in a signed 64-bit integer, got ${value}`);
  }
  return value;
}

/**
 * A port of Go's `math/rand` generator as it was up to Go 1.23: the additive lagged Fibonacci
 * source (`rngSource`) with the `Rand` methods that turn it into bounded integers. The same
 * seed yields the same sequence as `rand.New(rand.NewSource(seed))`, and as the global
 * functions after `rand.Seed(seed)`, which is what lets a result computed by a Go program be
 * reproduced here.
 */
export class GoRand {
  private readonly vec = new BigInt64Array(RNG_LEN);
  private tap = 0;
  private feed = RNG_LEN - RNG_TAP;

  /** Defaults to 1, the seed Go's global generator used before Go 1.20. */
  constructor(seed: bigint | number = 1n) {
    this.seed(seed);
  }

  /** Go's `Seed(int64)`: only the seed modulo 2^31−1 matters. */
  seed(seed: bigint | number): void {
    let s = toInt64(seed, 'seed') % INT32_MAX_BIG;
    if (s < 0n) s += INT32_MAX_BIG;
    let x = s === 0n ? ZERO_SEED_SUBSTITUTE : Number(s);

    for (let i = 0; i < 20; i++) x = seedrand(x);
    for (let i = 0; i < RNG_LEN; i++) {
      x = seedrand(x);
      let u = BigInt(x) << 40n;
      x = seedrand(x);
      u ^= BigInt(x) << 20n;
      x = seedrand(x);
      u ^= BigInt(x);
      // The typed array truncates to 64 bits on store, which is Go's int64 wrap-around.
      this.vec[i] = u ^ cooked[i]!;
    }
    this.tap = 0;
    this.feed = RNG_LEN - RNG_TAP;
  }

  /** The next 64 bits, as an unsigned value. */
  uint64(): bigint {
    this.tap = this.tap === 0 ? RNG_LEN - 1 : this.tap - 1;
    this.feed = this.feed === 0 ? RNG_LEN - 1 : this.feed - 1;
    const sum = this.vec[this.feed]! + this.vec[this.tap]!;
    this.vec[this.feed] = sum;
    return BigInt.asUintN(64, sum);
  }

  /** A non-negative 63-bit value. */
  int63(): bigint {
    return BigInt.asUintN(63, this.uint64());
  }

  /** A non-negative 31-bit value: the top 31 of the 63 bits, as Go takes them. */
  int31(): number {
    return Number(this.int63() >> 32n);
  }

  /** A value in [0, n) for 0 < n ≤ 2^31−1, without modulo bias. */
  int31n(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > INT32_MAX) {
      throw new RangeError(`int31n needs an integer in [1, 2^31-1], got ${n}`);
    }
    if ((n & (n - 1)) === 0) return this.int31() & (n - 1);
    // Draws above the last whole multiple of n are rejected; the retry loop is what keeps
    // Go's stream position, so it has to be reproduced rather than replaced.
    const max = INT32_MAX - (2147483648 % n);
    let v = this.int31();
    while (v > max) v = this.int31();
    return v % n;
  }

  /** A value in [0, n) for 0 < n ≤ 2^63−1, without modulo bias. */
  int63n(n: bigint): bigint {
    if (n <= 0n || n > INT64_MAX) {
      throw new RangeError(`int63n needs an integer in [1, 2^63-1], got ${n}`);
    }
    if ((n & (n - 1n)) === 0n) return this.int63() & (n - 1n);
    const max = INT64_MAX - ((1n << 63n) % n);
    let v = this.int63();
    while (v > max) v = this.int63();
    return v % n;
  }

  /**
   * Go's `Intn` on a 64-bit platform: below 2^31 it draws 31-bit values, above it 63-bit
   * ones, so the two ranges consume the stream differently.
   */
  intn(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) {
      throw new RangeError(`intn needs a positive safe integer, got ${n}`);
    }
    return n <= INT32_MAX ? this.int31n(n) : Number(this.int63n(BigInt(n)));
  }
}
