import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import {
  ELECTION_TIMEOUT_MS,
  explained,
  PROPERTY_TIMEOUT_MS,
  propertyParameters,
  recover,
  runSchedule,
  type Scenario,
  scenarios,
  simulationFor,
} from './fault-schedule.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const BOUND_MS = 10 * ELECTION_TIMEOUT_MS[1];

/** One lease holder, and every node (all up and thawed by now) names it. */
function settled(sim: Simulation): boolean {
  const leader = sim.agreedLeader();
  if (leader === undefined) return false;
  const holders = sim.leaders();
  if (holders.length !== 1 || holders[0] !== leader) return false;
  return sim.states().every((s) => s.up && !s.frozen && s.leader === leader);
}

function settlesAfter({ seed, steps }: Scenario): void {
  const sim = simulationFor(seed);
  explained(sim, () => {
    runSchedule(sim, steps);
    recover(sim);
    const from = sim.now;
    if (!sim.runUntil(settled, BOUND_MS)) {
      const views = sim
        .states()
        .map((s) => `${s.id}:${s.role}@${s.term}->${s.leader}${s.frozen ? '(frozen)' : ''}`);
      throw new Error(
        `no agreed leader ${BOUND_MS}ms after recovery at ${from}ms: ${views.join(' ')}`,
      );
    }
  });
}

describe('liveness', () => {
  it(
    `agrees on one leader within ${BOUND_MS}ms of the faults ending`,
    () => {
      fc.assert(
        fc.property(scenarios({ ids, volatileRestarts: true }), settlesAfter),
        propertyParameters<[Scenario]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  // Found by the property above. n2 votes for n1 in term 1, is restarted without its state
  // and moved in with n4 and n5, which PreVote kept in term 0; it votes again, for n4, and
  // term 1 has two leaders. Followers then ack both leaders' heartbeats and neither leader
  // reacts to the other's, so both keep their quorum and their lease and no term ever ends.
  it('recovers from two leaders in one term left behind by a restart that lost its vote', () => {
    const found: Scenario = {
      seed: 482354658,
      steps: [
        {
          kind: 'partition',
          groups: [
            ['n3', 'n1', 'n2'],
            ['n4', 'n5'],
          ],
        },
        { kind: 'run', ms: 433 },
        { kind: 'restart', node: 'n2', durable: true },
        { kind: 'run', ms: 223 },
        {
          kind: 'partition',
          groups: [
            ['n3', 'n1'],
            ['n4', 'n5', 'n2'],
          ],
        },
        { kind: 'restart', node: 'n2', durable: false },
        { kind: 'run', ms: 207 },
      ],
    };
    settlesAfter(found);
  });
});
