/**
 * States as 64-bit fingerprints, the way TLC keeps them: the search remembers two 32-bit
 * hashes of each state's canonical form in an open-addressing table of typed arrays, eight
 * bytes a slot, instead of the canonical text itself. Two distinct states with one
 * fingerprint would make the search take the second for the first and skip what only it
 * leads to; `collisionProbability` bounds the odds of that.
 */

const C1 = 0xcc9e2d51;
const C2 = 0x1b873593;

/** One 32-bit word into a MurmurHash3 state. */
export function mixWord(h: number, word: number): number {
  let k = Math.imul(word, C1);
  k = (k << 15) | (k >>> 17);
  k = Math.imul(k, C2);
  let x = h ^ k;
  x = (x << 13) | (x >>> 19);
  return (Math.imul(x, 5) + 0xe6546b64) | 0;
}

/** MurmurHash3's finalizer: every input bit reaches every output bit. */
export function finish(h: number, length: number): number {
  let x = h ^ length;
  x ^= x >>> 16;
  x = Math.imul(x, 0x85ebca6b);
  x ^= x >>> 13;
  x = Math.imul(x, 0xc2b2ae35);
  x ^= x >>> 16;
  return x | 0;
}

/** The two seeds of a fingerprint's halves. */
export const SEED_HI = 0x2545f491;
export const SEED_LO = 0x9e3779b9 | 0;

/** A 32-bit hash of a text (MurmurHash3 over its UTF-16 code units) under `seed`. */
export function hashText(text: string, seed: number): number {
  let h = seed;
  for (let i = 0; i < text.length; i++) h = mixWord(h, text.charCodeAt(i));
  return finish(h, text.length);
}

/**
 * The estimated probability that two of `states` distinct states share a 64-bit fingerprint
 * (so that the search may have skipped a state), taking fingerprints as uniform: each of the
 * n(n-1)/2 pairs collides with probability 2^-64, so by the union bound the odds are at most
 * n(n-1)/2^65, about n²/2^65 (3e-7 for ten million states, 3e-5 for a hundred million).
 */
export function collisionProbability(states: number): number {
  return Math.min(1, (states * (states - 1)) / 2 ** 65);
}

/** Initial slots of a growable table (a power of two). */
const INITIAL_SLOTS = 1 << 16;

/**
 * A set of 64-bit fingerprints: open addressing with linear probing over one Int32Array
 * (the high and low halves side by side), grown by doubling at three quarters full. A slot
 * whose low half is 0 is empty, so a fingerprint's low half is never 0 (see `nonZero`).
 */
export class FingerprintSet {
  private slots: Int32Array;
  private mask: number;
  /** Fingerprints held. */
  size = 0;

  constructor(slots = INITIAL_SLOTS) {
    let n = INITIAL_SLOTS;
    while (n < slots) n *= 2;
    this.slots = new Int32Array(2 * n);
    this.mask = n - 1;
  }

  /** Bytes the table takes. */
  get bytes(): number {
    return this.slots.byteLength;
  }

  /** Adds the fingerprint; false when it was there already. */
  add(hi: number, lo: number): boolean {
    const s = this.slots;
    const mask = this.mask;
    let at = (hi ^ Math.imul(lo, 0x27d4eb2d)) & mask;
    for (;;) {
      const l = s[2 * at + 1]!;
      if (l === 0) break;
      if (l === lo && s[2 * at] === hi) return false;
      at = (at + 1) & mask;
    }
    s[2 * at] = hi;
    s[2 * at + 1] = lo;
    if (++this.size * 4 > (mask + 1) * 3) this.grow();
    return true;
  }

  private grow(): void {
    const old = this.slots;
    const n = (this.mask + 1) * 2;
    this.slots = new Int32Array(2 * n);
    this.mask = n - 1;
    const s = this.slots;
    for (let i = 0; i < old.length; i += 2) {
      const lo = old[i + 1]!;
      if (lo === 0) continue;
      const hi = old[i]!;
      let at = (hi ^ Math.imul(lo, 0x27d4eb2d)) & this.mask;
      while (s[2 * at + 1] !== 0) at = (at + 1) & this.mask;
      s[2 * at] = hi;
      s[2 * at + 1] = lo;
    }
  }
}

/** A low half as the tables store it: 0 marks an empty slot, so it is taken as 1. */
export function nonZero(x: number): number {
  return x === 0 ? 1 : x;
}

/**
 * A fixed-size fingerprint table in shared memory, which several threads add to at once:
 * a slot is claimed by compare-and-swap on its low half, then its high half is written
 * (never 0: `nonZero` again); a reader that finds a matching low half waits for the high
 * half to appear before comparing it.
 */
export class SharedFingerprintSet {
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(
    readonly buffer: SharedArrayBuffer,
    /** Shared counter of fingerprints held (one Int32). */
    private readonly counter: Int32Array,
  ) {
    this.slots = new Int32Array(buffer);
    this.mask = this.slots.length / 2 - 1;
  }

  /** A buffer for `slots` fingerprints (rounded up to a power of two). */
  static buffer(slots: number): SharedArrayBuffer {
    let n = INITIAL_SLOTS;
    while (n < slots) n *= 2;
    return new SharedArrayBuffer(8 * n);
  }

  /** Slots in the table. */
  get capacity(): number {
    return this.mask + 1;
  }

  /** Fingerprints held by every thread together. */
  get size(): number {
    return Atomics.load(this.counter, 0);
  }

  /**
   * Adds the fingerprint (`lo` non-zero; a `high` of 0 is taken as 1); false when it was
   * there already.
   * Throws when the table is full.
   */
  add(high: number, lo: number): boolean {
    const hi = high === 0 ? 1 : high;
    const s = this.slots;
    const mask = this.mask;
    let at = (hi ^ Math.imul(lo, 0x27d4eb2d)) & mask;
    for (let probes = 0; probes <= mask; probes++) {
      let l = Atomics.load(s, 2 * at + 1);
      if (l === 0) {
        l = Atomics.compareExchange(s, 2 * at + 1, 0, lo);
        if (l === 0) {
          Atomics.store(s, 2 * at, hi);
          Atomics.add(this.counter, 0, 1);
          return true;
        }
      }
      if (l === lo) {
        let h = Atomics.load(s, 2 * at);
        while (h === 0) h = Atomics.load(s, 2 * at);
        if (h === hi) return false;
      }
      at = (at + 1) & mask;
    }
    throw new RangeError('the fingerprint table is full');
  }
}

/** Int32s in one chunk of a queue (4 MiB). */
const CHUNK = 1 << 20;

/**
 * A first-in first-out run of 32-bit integers in fixed chunks of typed arrays: a frontier of
 * millions of states costs no garbage-collector scanning and no copying as it grows.
 */
export class IntQueue {
  private chunks: Int32Array[] = [];
  private writeChunk: Int32Array = new Int32Array(0);
  private writeAt = CHUNK;
  private readChunk = 0;
  private readAt = 0;
  /** Integers pushed and not yet read. */
  length = 0;

  push(x: number): void {
    if (this.writeAt === CHUNK) {
      this.writeChunk = new Int32Array(CHUNK);
      this.chunks.push(this.writeChunk);
      this.writeAt = 0;
    }
    this.writeChunk[this.writeAt++] = x;
    this.length++;
  }

  /** The next integer (the queue must not be empty). */
  shift(): number {
    if (this.readAt === CHUNK) {
      this.chunks[this.readChunk] = EMPTY;
      this.readChunk++;
      this.readAt = 0;
    }
    this.length--;
    return this.chunks[this.readChunk]![this.readAt++]!;
  }
}

const EMPTY = new Int32Array(0);
