import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { electLeaders } from '../../src/entropy/index.js';
import { propertyParameters } from './fault-schedule.js';

const peerIds = fc.uniqueArray(fc.string({ minLength: 0, maxLength: 12, unit: 'grapheme' }), {
  minLength: 1,
  maxLength: 100,
});
// Past 64 leaders rendezvous sorts every peer instead of keeping a short list: cover both.
const leaderCount = fc.integer({ min: 1, max: 110 });
const entropy = fc.oneof(
  fc.string({ maxLength: 80, unit: 'grapheme' }),
  fc.uint8Array({ maxLength: 64 }),
);
// Chainpoint reads seven bytes; shorter entropy is an input error, tested elsewhere.
const chainpointEntropy = fc.oneof(
  fc.string({ minLength: 7, maxLength: 80 }),
  fc.uint8Array({ minLength: 7, maxLength: 64 }),
);

describe('rendezvous', () => {
  it('elects min(n, peers) distinct peers from the list, the same every time', () => {
    fc.assert(
      fc.property(peerIds, leaderCount, entropy, (peers, n, e) => {
        const leaders = electLeaders(peers, n, e);
        expect(leaders).toHaveLength(Math.min(n, peers.length));
        expect(new Set(leaders).size).toBe(leaders.length);
        for (const leader of leaders) expect(peers).toContain(leader);
        expect(electLeaders([...peers], n, e)).toEqual(leaders);
      }),
      propertyParameters(),
    );
  });

  it('keeps its leaders, in order, when any set of non-leaders leaves', () => {
    fc.assert(
      fc.property(
        peerIds,
        leaderCount,
        entropy,
        fc.array(fc.boolean(), { maxLength: 100 }),
        (peers, n, e, leaves) => {
          const leaders = electLeaders(peers, n, e);
          const remaining = peers.filter((p, i) => leaders.includes(p) || !leaves[i]);
          expect(electLeaders(remaining, n, e)).toEqual(leaders);
        },
      ),
      propertyParameters(),
    );
  });

  it('does not depend on the order of the peer list', () => {
    fc.assert(
      fc.property(
        peerIds.chain((peers) =>
          fc.tuple(fc.constant(peers), fc.shuffledSubarray(peers, { minLength: peers.length })),
        ),
        leaderCount,
        entropy,
        ([peers, shuffled], n, e) => {
          expect(electLeaders(shuffled, n, e)).toEqual(electLeaders(peers, n, e));
        },
      ),
      propertyParameters(),
    );
  });

  it('takes the leaders for n from the front of the leaders for any larger n', () => {
    fc.assert(
      fc.property(peerIds, leaderCount, leaderCount, entropy, (peers, a, b, e) => {
        const [small, large] = a <= b ? [a, b] : [b, a];
        expect(electLeaders(peers, large, e).slice(0, small)).toEqual(
          electLeaders(peers, small, e),
        );
      }),
      propertyParameters(),
    );
  });
});

describe('chainpoint', () => {
  it('elects n consecutive peers, or one when n exceeds the list, the same every time', () => {
    fc.assert(
      fc.property(peerIds, leaderCount, chainpointEntropy, (peers, n, e) => {
        const leaders = electLeaders(peers, n, e, { strategy: 'chainpoint' });
        expect(leaders).toHaveLength(n <= peers.length ? n : 1);
        const start = peers.indexOf(leaders[0]!);
        expect(start).toBeGreaterThanOrEqual(0);
        leaders.forEach((leader, i) => {
          expect(leader).toBe(peers[(start + i) % peers.length]);
        });
        expect(electLeaders([...peers], n, e, { strategy: 'chainpoint' })).toEqual(leaders);
      }),
      propertyParameters(),
    );
  });
});
