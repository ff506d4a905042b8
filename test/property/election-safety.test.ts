import fc from 'fast-check';
import { describe, it } from 'vitest';
import {
  explained,
  PROPERTY_TIMEOUT_MS,
  propertyParameters,
  runSchedule,
  type Scenario,
  scenarios,
  simulationFor,
} from './fault-schedule.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

describe('election safety', () => {
  it(
    'never two leaders in one term, across crashes and durable restarts',
    () => {
      fc.assert(
        fc.property(scenarios({ ids, volatileRestarts: false }), ({ seed, steps }) => {
          const sim = simulationFor(seed).checkSafety();
          // Kept for the whole run rather than read from the cluster's current state: a leader
          // that has since crashed or stepped down vanishes from states(), but a later rival
          // in its term is still two leaders in one term.
          const leaderOf = new Map<number, string>();
          sim.check((s) => {
            for (const node of s.states()) {
              if (node.leader === null || node.term === undefined) continue;
              const known = leaderOf.get(node.term);
              if (known === undefined) leaderOf.set(node.term, node.leader);
              else if (known !== node.leader) {
                return `${node.id} follows ${node.leader} in term ${node.term}, which ${known} led`;
              }
            }
            return undefined;
          });
          explained(sim, () => runSchedule(sim, steps));
        }),
        propertyParameters<[Scenario]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
