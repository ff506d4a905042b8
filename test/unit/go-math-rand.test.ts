import { describe, expect, it } from 'vitest';
import { GoRand } from '../../src/entropy/go-math-rand.js';
import { varint } from '../../src/entropy/go-varint.js';

const INT32_MAX = 2 ** 31 - 1;

/** The first `count` draws of `draw` from a fresh generator seeded with `seed`. */
function draws<T>(seed: bigint | number, count: number, draw: (rand: GoRand) => T): T[] {
  const rand = new GoRand(seed);
  return Array.from({ length: count }, () => draw(rand));
}

// Go's math/rand ships golden outputs for seed 0 that it promises never to change; these
// are the first values of each sequence, so they pin the seeding and every draw method.
describe('GoRand against Go golden outputs for seed 0', () => {
  it('Int63', () => {
    expect(draws(0, 6, (r) => r.int63())).toEqual([
      8717895732742165505n,
      2259404117704393152n,
      6050128673802995827n,
      501233450539197794n,
      3390393562759376202n,
      2669985732393126063n,
    ]);
  });

  it('Int31', () => {
    expect(draws(0, 6, (r) => r.int31())).toEqual([
      2029793274, 526058514, 1408655353, 116702506, 789387515, 621654496,
    ]);
  });

  it('Int31n over bounds that exercise the mask and the rejection paths', () => {
    const bounds = [1, 10, 32, 1 << 20, (1 << 20) + 1, 1e9, 1 << 30, INT32_MAX - 1, INT32_MAX];
    const rand = new GoRand(0);
    const out = [...bounds, ...bounds].map((n) => rand.int31n(n));
    expect(out).toEqual([
      0, 4, 25, 310570, 857611, 621654496, 413258767, 1407315077, 1926657288, 0, 8, 27, 367019,
      209005, 307989752, 544722126, 1663557311, 37539650,
    ]);
  });

  it('Int63n, including bounds beyond 32 bits', () => {
    const bounds = [
      1n,
      10n,
      32n,
      1n << 20n,
      (1n << 20n) + 1n,
      1000000000n,
      1n << 30n,
      (1n << 31n) - 2n,
      (1n << 31n) - 1n,
      1000000000000000000n,
      1n << 60n,
      (1n << 63n) - 2n,
      (1n << 63n) - 1n,
    ];
    const rand = new GoRand(0);
    expect(bounds.map((n) => rand.int63n(n))).toEqual([
      0n,
      2n,
      19n,
      959842n,
      688912n,
      393126063n,
      89212473n,
      834026388n,
      1577188963n,
      543572285742637646n,
      355889821886249464n,
      8325060299420976708n,
      7837839688282259259n,
    ]);
  });

  it('Intn draws 31-bit values below 2^31 and 63-bit values above', () => {
    const rand = new GoRand(0);
    const small = [1, 10, 32, 1 << 20, (1 << 20) + 1, 1e9, 1 << 30, INT32_MAX - 1, INT32_MAX];
    expect(small.map((n) => rand.intn(n))).toEqual([
      0, 4, 25, 310570, 857611, 621654496, 413258767, 1407315077, 1926657288,
    ]);
    // Go's next bound (10^18) is past a safe JS number; Go's Intn hands it to Int63n.
    expect(rand.int63n(1000000000000000000n)).toBe(543572285742637646n);
    // 2^52 + 1 is still a safe number, so intn must take the 63-bit path itself.
    const viaIntn = new GoRand(7).intn(2 ** 52 + 1);
    expect(viaIntn).toBe(Number(new GoRand(7).int63n(2n ** 52n + 1n)));
  });
});

describe('GoRand against the widely published outputs for seed 1', () => {
  it('Int63', () => {
    expect(draws(1, 4, (r) => r.int63())).toEqual([
      5577006791947779410n,
      8674665223082153551n,
      6129484611666145821n,
      4037200794235010051n,
    ]);
  });

  it('Intn(100) follows from those values: 81, 87', () => {
    // 5577006791947779410 >> 32 = 1298498081 and 8674665223082153551 >> 32 = 2019727887,
    // both under the rejection limit for 100.
    expect(draws(1, 2, (r) => r.intn(100))).toEqual([81, 87]);
  });

  it('defaults to seed 1 like Go before 1.20', () => {
    expect(new GoRand().int63()).toBe(5577006791947779410n);
  });
});

describe('GoRand seeding', () => {
  const first = (seed: bigint | number) => draws(seed, 3, (r) => r.int63());

  it('replaces a seed that reduces to zero with 89482311', () => {
    expect(first(0)).toEqual(first(89482311));
    expect(first(INT32_MAX)).toEqual(first(0));
    expect(first(-INT32_MAX)).toEqual(first(0));
  });

  it('reduces seeds modulo 2^31-1, moving negative remainders up', () => {
    expect(first(2 ** 31)).toEqual(first(1));
    expect(first(-5)).toEqual(first(INT32_MAX - 5));
    expect(first(-(1n << 63n))).toEqual(first((-(1n << 63n) % 2147483647n) + 2147483647n));
    expect(first((1n << 63n) - 1n)).toEqual(first(((1n << 63n) - 1n) % 2147483647n));
  });

  it('treats a number and the same bigint alike', () => {
    expect(first(123456789)).toEqual(first(123456789n));
  });

  it('reseeding restarts the sequence', () => {
    const rand = new GoRand(42);
    const before = [rand.int63(), rand.int63()];
    for (let i = 0; i < 1000; i++) rand.uint64();
    rand.seed(42);
    expect([rand.int63(), rand.int63()]).toEqual(before);
  });

  it('rejects seeds outside int64 and unsafe numbers', () => {
    expect(() => new GoRand(1n << 63n)).toThrow(RangeError);
    expect(() => new GoRand(-(1n << 63n) - 1n)).toThrow(RangeError);
    expect(() => new GoRand(2 ** 53)).toThrow(RangeError);
    expect(() => new GoRand(1.5)).toThrow(RangeError);
  });
});

describe('GoRand draws', () => {
  it('Int63 is Uint64 without its top bit, and Int31 its top 31 bits', () => {
    const a = new GoRand(99);
    const b = new GoRand(99);
    const c = new GoRand(99);
    for (let i = 0; i < 1000; i++) {
      const u = a.uint64();
      expect(u).toBeGreaterThanOrEqual(0n);
      expect(u).toBeLessThan(1n << 64n);
      const v = b.int63();
      expect(v).toBe(u & ((1n << 63n) - 1n));
      expect(c.int31()).toBe(Number(v >> 32n));
    }
  });

  it('Int31n masks for powers of two', () => {
    const a = new GoRand(5);
    const b = new GoRand(5);
    for (let i = 0; i < 100; i++) expect(a.int31n(64)).toBe(b.int31() & 63);
  });

  it('rejects bounds Go would panic on', () => {
    const rand = new GoRand(1);
    expect(() => rand.int31n(0)).toThrow(RangeError);
    expect(() => rand.int31n(2 ** 31)).toThrow(RangeError);
    expect(() => rand.int63n(0n)).toThrow(RangeError);
    expect(() => rand.int63n(1n << 63n)).toThrow(RangeError);
    expect(() => rand.intn(-1)).toThrow(RangeError);
    expect(() => rand.intn(2.5)).toThrow(RangeError);
  });
});

describe('varint (Go binary.Varint, error ignored)', () => {
  const bytes = (...b: number[]) => Uint8Array.from(b);

  it('decodes zig-zag values', () => {
    expect(varint(bytes(0x00))).toBe(0n);
    expect(varint(bytes(0x01))).toBe(-1n);
    expect(varint(bytes(0x02))).toBe(1n);
    expect(varint(bytes(0x03))).toBe(-2n);
    expect(varint(bytes(0x7f))).toBe(-64n);
    // 0xac 0x02 is the unsigned varint 300, and 300 zig-zags to 150.
    expect(varint(bytes(0xac, 0x02))).toBe(150n);
    expect(varint(bytes(0xad, 0x02))).toBe(-151n);
  });

  it('stops at the first byte below 0x80', () => {
    expect(varint(bytes(0x02, 0xff, 0xff))).toBe(1n);
    // A hex string starts with an ASCII byte, so only that byte counts: 'c' is 0x63.
    expect(varint(new TextEncoder().encode('c846f218'))).toBe(-50n);
  });

  it('covers the full int64 range in ten bytes', () => {
    const max = bytes(0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    const min = bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01);
    expect(varint(max)).toBe((1n << 63n) - 1n);
    expect(varint(min)).toBe(-(1n << 63n));
  });

  it('yields 0 when the number never ends or overflows', () => {
    expect(varint(bytes())).toBe(0n);
    expect(varint(bytes(0x80, 0x80))).toBe(0n);
    expect(varint(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff))).toBe(0n);
    expect(varint(bytes(0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02))).toBe(0n);
    expect(varint(new Uint8Array(11).fill(0x80))).toBe(0n);
  });
});
