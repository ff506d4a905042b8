import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Simulation } from '../../src/sim/index.js';
import {
  PROPERTY_TIMEOUT_MS,
  propertyParameters,
  runSchedule,
  type Scenario,
  type Step,
  scenarios,
  simulationFor,
} from './fault-schedule.js';

const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];

/** Everything a replay must reproduce: the trace, the counters and where each node ended. */
function outcome(seed: number, steps: Step[]): { trace: string; stats: string; states: string } {
  const sim: Simulation = simulationFor(seed);
  runSchedule(sim, steps);
  return {
    trace: sim.trace.format(),
    stats: JSON.stringify(sim.stats),
    states: JSON.stringify(sim.states()),
  };
}

describe('determinism', () => {
  it(
    'the same seed and schedule replay the same run',
    () => {
      fc.assert(
        fc.property(scenarios({ ids, volatileRestarts: true }), ({ seed, steps }) => {
          expect(outcome(seed, steps)).toEqual(outcome(seed, steps));
        }),
        propertyParameters<[Scenario]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  // A fault-free run, because a schedule can erase every difference a seed makes (crash all
  // five nodes at once and both traces are the same five crashes).
  it(
    'a different seed gives a different run',
    () => {
      const calm: Step[] = [{ kind: 'run', ms: 2000 }];
      fc.assert(
        fc.property(
          fc.integer(),
          fc.integer().filter((n) => n !== 0),
          (seed, offset) => {
            expect(outcome(seed, calm).trace).not.toBe(outcome((seed + offset) | 0, calm).trace);
          },
        ),
        propertyParameters<[number, number]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
