import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  ElectionInputError,
  type ElectionStrategy,
  electLeaders,
} from '../../src/entropy/index.js';
import { SeededGenerator } from '../../src/sim/seeded-generator.js';

interface VectorCase {
  peers: string[];
  n: number;
  entropy: string;
  expected: string[];
}

const vectors = JSON.parse(
  readFileSync(new URL('../fixtures/chainpoint-vectors.json', import.meta.url), 'utf8'),
) as { cases: VectorCase[] };

const peerList = (count: number, prefix = 'peer') =>
  Array.from({ length: count }, (_, i) => `${prefix}-${i}`);

const utf8 = (s: string) => new TextEncoder().encode(s);

/** The ranking rendezvous promises, computed the slow and obvious way. */
function referenceRanking(peers: readonly string[], entropy: Uint8Array): string[] {
  const scored = peers.map((id) => ({
    id,
    digest: createHash('sha256').update(entropy).update(Uint8Array.of(0)).update(id).digest(),
  }));
  scored.sort((a, b) => Buffer.compare(b.digest, a.digest));
  return scored.map((s) => s.id);
}

describe('chainpoint strategy', () => {
  it('has vectors to check', () => {
    expect(vectors.cases.length).toBeGreaterThan(0);
  });

  it.each(vectors.cases.map((c, i) => [i, c] as const))(
    'reproduces the Go library on vector %i',
    (_, c) => {
      const peers = Object.freeze([...c.peers]);
      expect(electLeaders(peers, c.n, c.entropy, { strategy: 'chainpoint' })).toEqual(c.expected);
      expect(peers).toEqual(c.peers);
    },
  );

  it('reads the same bytes from a string and from its UTF-8 encoding', () => {
    for (const c of vectors.cases) {
      const fromBytes = electLeaders(c.peers, c.n, utf8(c.entropy), { strategy: 'chainpoint' });
      expect(fromBytes).toEqual(c.expected);
    }
  });

  it('returns consecutive peers from the drawn index, wrapping around the end', () => {
    const peers = peerList(5);
    const all = electLeaders(peers, 5, 'deadbeef-entropy', { strategy: 'chainpoint' });
    const start = peers.indexOf(all[0]!);
    expect(all).toEqual([...peers.slice(start), ...peers.slice(0, start)]);
    for (let n = 1; n <= 5; n++) {
      expect(electLeaders(peers, n, 'deadbeef-entropy', { strategy: 'chainpoint' })).toEqual(
        all.slice(0, n),
      );
    }
  });

  it('returns a single leader when more are asked for than there are peers', () => {
    const peers = peerList(4);
    const one = electLeaders(peers, 1, 'some entropy', { strategy: 'chainpoint' });
    expect(electLeaders(peers, 5, 'some entropy', { strategy: 'chainpoint' })).toEqual(one);
    expect(electLeaders(peers, 1000, 'some entropy', { strategy: 'chainpoint' })).toEqual(one);
  });

  it('looks at the first seven bytes only', () => {
    const peers = peerList(17);
    const a = electLeaders(peers, 3, '\u00ff\u00ff\u00ff\u00ffxyz', { strategy: 'chainpoint' });
    const b = electLeaders(peers, 3, '\u00ff\u00ff\u00ff\u00ffxyz and more', {
      strategy: 'chainpoint',
    });
    expect(b).toEqual(a);
  });
});

describe('rendezvous strategy', () => {
  it('is the default', () => {
    const peers = peerList(12);
    expect(electLeaders(peers, 3, 'block-7')).toEqual(
      electLeaders(peers, 3, 'block-7', { strategy: 'rendezvous' }),
    );
  });

  it('ranks peers by SHA-256 of entropy, a zero byte and the UTF-8 peer id', () => {
    const peers = [...peerList(40), 'naïve', 'peer-😀', '', '日本'];
    for (const entropy of ['', 'x', 'a block hash', '\u00e9\u20ac\u0000tail']) {
      const ranked = referenceRanking(peers, utf8(entropy));
      expect(electLeaders(peers, peers.length, entropy)).toEqual(ranked);
      expect(electLeaders(peers, 5, entropy)).toEqual(ranked.slice(0, 5));
      expect(electLeaders(peers, 5, utf8(entropy))).toEqual(ranked.slice(0, 5));
    }
  });

  it('ranks a long list the same way whether it keeps a short list or sorts them all', () => {
    const peers = peerList(300);
    const ranked = referenceRanking(peers, utf8('long list'));
    for (const n of [1, 2, 63, 64, 65, 100, 299, 300]) {
      expect(electLeaders(peers, n, 'long list')).toEqual(ranked.slice(0, n));
    }
  });

  it('orders ids that encode to the same bytes by id, whatever the list order', () => {
    // Unpaired surrogates all become U+FFFD in UTF-8, so these two score identically.
    const peers = ['x\uD800', 'x\uDC00', 'y'];
    const ranked = electLeaders(peers, 3, 'tie');
    expect(electLeaders([...peers].reverse(), 3, 'tie')).toEqual(ranked);
    expect(ranked.indexOf('x\uD800')).toBeLessThan(ranked.indexOf('x\uDC00'));
  });

  it('returns every peer in rank order when more are asked for than there are peers', () => {
    const peers = peerList(6);
    const all = electLeaders(peers, 6, 'entropy');
    expect(electLeaders(peers, 7, 'entropy')).toEqual(all);
    expect(electLeaders(peers, 1000, 'entropy')).toEqual(all);
    expect([...all].sort()).toEqual([...peers].sort());
  });

  it('keeps its leaders when a peer that is not a leader leaves', () => {
    const peers = peerList(30);
    const leaders = electLeaders(peers, 4, 'epoch 12');
    for (const gone of peers.filter((p) => !leaders.includes(p))) {
      const rest = peers.filter((p) => p !== gone);
      expect(electLeaders(rest, 4, 'epoch 12')).toEqual(leaders);
    }
  });

  it('promotes the next-ranked peer when a leader leaves', () => {
    const peers = peerList(30);
    const ranked = electLeaders(peers, peers.length, 'epoch 12');
    const rest = peers.filter((p) => p !== ranked[0]);
    expect(electLeaders(rest, 3, 'epoch 12')).toEqual(ranked.slice(1, 4));
  });

  it('elects each of 10 peers about equally often (chi-square, p = 0.001)', () => {
    const peers = peerList(10);
    const counts = new Map(peers.map((p) => [p, 0]));
    const generator = new SeededGenerator(20240601);
    const draws = 20_000;
    for (let i = 0; i < draws; i++) {
      const entropy = Uint8Array.from({ length: 32 }, () => generator.between(0, 255));
      const [leader] = electLeaders(peers, 1, entropy);
      counts.set(leader!, counts.get(leader!)! + 1);
    }
    const expected = draws / peers.length;
    let chiSquare = 0;
    for (const observed of counts.values()) chiSquare += (observed - expected) ** 2 / expected;
    // The critical value for 9 degrees of freedom at p = 0.001.
    expect(chiSquare).toBeLessThan(27.88);
  });
});

describe('both strategies', () => {
  const strategies: ElectionStrategy[] = ['rendezvous', 'chainpoint'];

  it.each(strategies)('%s leaves its inputs untouched', (strategy) => {
    const peers = Object.freeze(peerList(9));
    const bytes = utf8('0123456789abcdef');
    const copy = Uint8Array.from(bytes);
    electLeaders(peers, 3, bytes, { strategy });
    electLeaders(peers, 20, 'frozen input', { strategy });
    expect(peers).toEqual(peerList(9));
    expect(bytes).toEqual(copy);
  });

  it.each(strategies)('%s returns a fresh array each call', (strategy) => {
    const peers = peerList(3);
    const first = electLeaders(peers, 3, 'same entropy', { strategy });
    first.pop();
    expect(electLeaders(peers, 3, 'same entropy', { strategy })).toHaveLength(3);
  });
});

describe('input errors', () => {
  const expectInputError = (run: () => unknown, message: RegExp) => {
    let thrown: unknown;
    try {
      run();
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ElectionInputError);
    expect(thrown).toBeInstanceOf(TypeError);
    expect((thrown as Error).name).toBe('ElectionInputError');
    expect((thrown as Error).message).toMatch(message);
  };

  it('rejects an empty peer list', () => {
    expectInputError(() => electLeaders([], 1, 'entropy!'), /non-empty/);
    expectInputError(
      () => electLeaders([], 1, 'entropy!', { strategy: 'chainpoint' }),
      /non-empty/,
    );
  });

  it('rejects a number of leaders that is not a positive integer', () => {
    for (const n of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expectInputError(() => electLeaders(['a', 'b'], n, 'entropy!'), /positive integer/);
      expectInputError(
        () => electLeaders(['a', 'b'], n, 'entropy!', { strategy: 'chainpoint' }),
        /positive integer/,
      );
    }
  });

  it('rejects chainpoint entropy shorter than seven bytes', () => {
    const chainpoint = { strategy: 'chainpoint' } as const;
    expectInputError(() => electLeaders(['a'], 1, 'abcdef', chainpoint), /7 bytes.*got 6/);
    expectInputError(() => electLeaders(['a'], 1, new Uint8Array(6), chainpoint), /got 6/);
    expectInputError(() => electLeaders(['a'], 1, '', chainpoint), /got 0/);
    // Seven bytes, though fewer characters: the limit is on bytes, as in Go.
    expect(electLeaders(['a'], 1, 'ééé€', chainpoint)).toEqual(['a']);
  });

  it('rejects duplicate peer ids', () => {
    expectInputError(() => electLeaders(['a', 'b', 'a'], 1, 'entropy!'), /duplicate.*"a"/);
    expectInputError(
      () => electLeaders(['a', 'b', 'a'], 1, 'entropy!', { strategy: 'chainpoint' }),
      /duplicate/,
    );
  });

  it('rejects an unknown strategy', () => {
    const options = { strategy: 'bully' as ElectionStrategy };
    expectInputError(() => electLeaders(['a'], 1, 'entropy!', options), /unknown.*"bully"/);
  });

  it('rejects peer ids and entropy of the wrong type', () => {
    const peers = ['a', 7] as unknown as string[];
    expectInputError(() => electLeaders(peers, 1, 'entropy!'), /must be strings/);
    const entropy = 12345678 as unknown as string;
    expectInputError(() => electLeaders(['a'], 1, entropy), /string or a Uint8Array/);
  });
});
