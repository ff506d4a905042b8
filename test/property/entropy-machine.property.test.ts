import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import { type EntropyMessage, entropyMachine } from '../../machines/entropy/machine.js';
import { electLeaders } from '../../src/entropy/elect-leaders.js';

const RUNS = Number(process.env.PROPERTY_RUNS ?? 1000);
const ids = ['a', 'b', 'c', 'd', 'e', 'f'];

const message: fc.Arbitrary<EntropyMessage> = fc.oneof(
  fc.record({
    type: fc.constant('entropy' as const),
    round: fc.integer({ min: 0, max: 6 }),
    value: fc.constantFrom('v1', 'v2', 'v3', 'v4'),
  }),
  fc.record({
    type: fc.constant('peers' as const),
    fromRound: fc.integer({ min: 0, max: 6 }),
    peers: fc.uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 6 }),
  }),
);

function finalState(events: EntropyMessage[]) {
  const a = createActor(entropyMachine, {
    input: {
      id: 'a',
      peers: ['a', 'b', 'c'],
      leaders: 2,
      elect: (p, n, e) => electLeaders(p, n, e),
    },
  });
  a.start();
  for (const msg of events) a.send({ type: 'receive', from: 'source', msg });
  const { round, value, elected } = a.getSnapshot().context;
  a.stop();
  return { round, value, elected };
}

describe('entropyMachine properties', () => {
  it('any order of arrival gives the same round and leaders', () => {
    fc.assert(
      fc.property(
        fc
          .array(message, { minLength: 1, maxLength: 12 })
          .chain((events) =>
            fc.tuple(
              fc.constant(events),
              fc.shuffledSubarray(events, { minLength: events.length }),
            ),
          ),
        ([events, shuffled]) => {
          expect(finalState(shuffled)).toEqual(finalState(events));
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('leaders are always members of the list in force, as many as asked or all', () => {
    fc.assert(
      fc.property(fc.array(message, { minLength: 1, maxLength: 12 }), (events) => {
        const { round, elected } = finalState(events);
        if (round === null) {
          expect(elected).toEqual([]);
          return;
        }
        const lists = [
          { fromRound: 0, peers: ['a', 'b', 'c'] },
          ...events.flatMap((e) => (e.type === 'peers' ? [e] : [])),
        ];
        const candidates = new Set(
          lists.filter((l) => l.fromRound <= round).flatMap((l) => l.peers),
        );
        for (const id of elected) expect(candidates.has(id)).toBe(true);
        expect(elected.length).toBeGreaterThanOrEqual(1);
        expect(elected.length).toBeLessThanOrEqual(2);
      }),
      { numRuns: RUNS },
    );
  });
});
