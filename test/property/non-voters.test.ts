import fc from 'fast-check';
import { describe, it } from 'vitest';
import type { MemberSpec } from '../../machines/protocol-definition.js';
import {
  explained,
  PROPERTY_TIMEOUT_MS,
  propertyParameters,
  runSchedule,
  type Scenario,
  scenarios,
  simulationFor,
} from './fault-schedule.js';
import { raftContext } from './raft-context.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
const nonVoterSets = fc
  .uniqueArray(fc.constantFrom(...ids), { minLength: 1, maxLength: 2 })
  .map((chosen) => ids.filter((id) => chosen.includes(id)));

describe('non-voters', () => {
  it(
    'never stand, never lead and never vote',
    () => {
      fc.assert(
        fc.property(
          nonVoterSets,
          scenarios({ ids, volatileRestarts: true }),
          (nonVoters, { seed, steps }) => {
            const members: MemberSpec[] = ids.map((id) =>
              nonVoters.includes(id) ? { id, voter: false } : { id },
            );
            const sim = simulationFor(seed, members);
            sim.check((s) => {
              for (const id of nonVoters) {
                const context = raftContext(s, id);
                if (context === undefined) continue;
                // Catches the member spec getting lost on its way in, which would make the
                // rest of this check vacuous.
                if (context.config.voter) return `${id} was configured as a voter`;
                const { role, term } = s.node(id);
                if (role !== 'follower') return `non-voter ${id} became ${role} in term ${term}`;
                if (context.votedFor !== null) {
                  return `non-voter ${id} voted for ${context.votedFor} in term ${term}`;
                }
              }
              return undefined;
            });
            explained(sim, () => runSchedule(sim, steps));
          },
        ),
        propertyParameters<[string[], Scenario]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
