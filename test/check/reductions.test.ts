import { describe, expect, it } from 'vitest';
import type { CheckBounds, ProtocolModel } from '../../machines/protocol-model.js';
import {
  bullyModel,
  entropyModel,
  kvModel,
  lesModel,
  modelCheck,
  raftModel,
  replay,
  TIMED_KV_TIMING,
} from '../../src/check/index.js';
import { firstValueWins, followsAnyone, keepsRemovedLeader } from './mutants.js';
import { forgetsItsDiskModel, longLeaseModel, TIMED, votesTwice } from './raft-mutants.js';

/**
 * The reduced search (the default) against the exact one (`reduce: false`): the same
 * verdicts on the shipped protocols, no more states, and on every broken variant a
 * violation of the same invariant, whose path replays in the simulator.
 */

const mutants: [string, () => ProtocolModel, Partial<CheckBounds>][] = [
  [
    'raft voting twice',
    () => raftModel({ logic: votesTwice, name: 'raft-votes-twice' }),
    { maxTerm: 2, maxFaults: 1, maxInFlight: 3 },
  ],
  ['raft forgetting its disk', forgetsItsDiskModel, { maxTerm: 1, maxFaults: 2 }],
  ['raft with a lease past the election timeout', longLeaseModel, TIMED],
  [
    'bully following anyone',
    () => bullyModel({ logic: followsAnyone, name: 'bully-follows-anyone' }),
    { maxFaults: 0 },
  ],
  [
    'entropy keeping the first value',
    () => entropyModel({ logic: firstValueWins, name: 'entropy-first-value' }),
    {},
  ],
  [
    'LES keeping a removed leader',
    () => lesModel({ logic: keepsRemovedLeader, name: 'les-keeps-leader' }),
    {},
  ],
  [
    'KV trusting the full TTL',
    () =>
      kvModel({
        name: 'kv-no-margin',
        timedTiming: { ...TIMED_KV_TIMING, marginMs: 0, renewMs: 5 },
      }),
    {},
  ],
];

describe('reductions', () => {
  it.each(mutants)('find what the exact search finds: %s', (_name, make, bounds) => {
    const model = make();
    const exact = modelCheck(model, { ...bounds, reduce: false });
    const reduced = modelCheck(model, bounds);
    expect(exact.ok).toBe(false);
    expect(reduced.ok).toBe(false);
    expect(reduced.violation?.invariant).toBe(exact.violation?.invariant);
    const replayed = replay(model, reduced.counterexample!);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });

  it.each([
    ['raft', { maxTerm: 2 }],
    ['raft', { maxTerm: 2, maxFaults: 2, maxInFlight: 1 }],
    ['raft', { timed: true, maxTerm: 1 }],
    ['bully', { maxFaults: 0 }],
    ['entropy', { maxTerm: 1 }],
    ['les', { maxFaults: 0 }],
    ['kv', { maxTerm: 1 }],
  ] as const)('keep the verdicts of the exact search, in no more states: %s %j', (name, bounds) => {
    const exact = modelCheck(name, { ...bounds, reduce: false });
    const reduced = modelCheck(name, bounds);
    expect(exact.ok && exact.complete).toBe(true);
    expect(reduced.ok && reduced.complete).toBe(true);
    expect(reduced.states).toBeLessThanOrEqual(exact.states);
    expect(exact.reductions).not.toContain('dead letters');
    expect(exact.reductions).not.toContain('forgotten history');
  });

  it("forget Raft's votes of the terms a node has left", () => {
    const exact = modelCheck('raft', { maxTerm: 2, reduce: false });
    const reduced = modelCheck('raft', { maxTerm: 2 });
    expect(reduced.reductions).toEqual(['symmetry', 'dead letters', 'forgotten history']);
    expect(exact.reductions).toEqual(['symmetry']);
    expect(reduced.states * 2).toBeLessThan(exact.states);
  });

  it('catch a term that goes back, which forgetting relies on never happening', () => {
    const result = modelCheck(forgetsItsDiskModel(), { maxTerm: 1, maxFaults: 2 });
    expect(result.violation?.invariant).toBe('a vote never changes within a term');
    expect(result.violation?.message).toMatch(/went back from term \d to term 0/);
  });
});
