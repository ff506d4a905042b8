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

describe('lease safety', () => {
  it(
    'never two lease holders at the same instant, and no newer leader while a lease is held',
    () => {
      fc.assert(
        fc.property(scenarios({ ids, volatileRestarts: false }), ({ seed, steps }) => {
          const sim = simulationFor(seed).checkSafety();
          // The lease is what lets a holder act without asking anyone: it is only worth that
          // if no later term can have elected someone else while it lasts.
          sim.check((s) => {
            const states = s.states();
            const holder = states.find((n) => n.isLeader);
            if (holder === undefined) return undefined;
            const rival = states.find(
              (n) =>
                n.id !== holder.id &&
                n.up &&
                n.role === 'leader' &&
                (n.term ?? 0) >= (holder.term ?? 0),
            );
            if (rival === undefined) return undefined;
            return `${rival.id} leads term ${rival.term} while ${holder.id} holds the lease of term ${holder.term}`;
          });
          explained(sim, () => runSchedule(sim, steps));
        }),
        propertyParameters<[Scenario]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
