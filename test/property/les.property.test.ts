import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LesContext } from '../../machines/les/machine.js';
import type { MemberSpec } from '../../machines/protocol-definition.js';
import {
  explained,
  PROPERTY_TIMEOUT_MS,
  propertyParameters,
  randomScenarios,
  type Scenario,
} from './fault-schedule.js';
import {
  agreesOnSenior,
  LES_IDS,
  type LesSimulation,
  LOOP_MS,
  lesContext,
  lesSimulation,
  recoverLes,
  runLesSchedule,
  STATE_TIMEOUT_MS,
  thawAll,
  views,
} from './les-schedule.js';

/**
 * Once the network is calm, a dead member is removed within one state timeout (plus the
 * loop that notices it), and two more loops carry the senior node's nomination out and the
 * confirmations back. Twice that, for a chain of such removals, is the bound.
 */
const SETTLE_MS = 2 * (STATE_TIMEOUT_MS + 3 * LOOP_MS);

const scenarios = randomScenarios({ ids: LES_IDS, volatileRestarts: true, maxFaults: 8 });
/** First start times in whole seconds from a small range, so that ties happen often. */
const startTimes = fc.array(fc.integer({ min: 0, max: 3 }), {
  minLength: LES_IDS.length,
  maxLength: LES_IDS.length,
});
/** With push (the default) and without (polling alone, as the reference). */
const push = fc.boolean();

interface Run {
  sim: LesSimulation;
  nodes: MemberSpec[];
}

function setUp(scenario: Scenario, starts: number[], withPush: boolean): Run {
  return lesSimulation(scenario.seed, starts, { push: withPush });
}

/** A node's leader is always itself, a member it holds, or nobody. */
function leaderIsMember(sim: LesSimulation): string | undefined {
  for (const id of sim.ids) {
    const ctx = lesContext(sim, id);
    if (ctx === undefined || ctx.leader === null || ctx.leader === id) continue;
    if (!ctx.members.includes(ctx.leader)) {
      return `${id} names ${ctx.leader}, which it removed (members ${ctx.members.join(', ')})`;
    }
  }
  return undefined;
}

/**
 * A node that takes the lead itself does so only when every other member it holds has
 * already named it, and a node's first leader comes only after it heard another node.
 */
function watchNominations(sim: LesSimulation): () => string | undefined {
  const before = new Map<string, LesContext | undefined>();
  return () => {
    for (const id of sim.ids) {
      const ctx = lesContext(sim, id);
      const prev = before.get(id);
      before.set(id, ctx);
      if (ctx === undefined || prev === undefined || prev.leader === ctx.leader) continue;
      if (!prev.elected && Object.keys(ctx.states).length === 0) {
        return `${id} elected ${ctx.leader} before hearing from any other node`;
      }
      if (ctx.leader !== id) continue;
      const unconfirmed = ctx.members.filter((m) => m !== id && ctx.states[m]?.leader !== id);
      if (unconfirmed.length > 0) {
        return `${id} took the lead while ${unconfirmed.join(', ')} did not name it`;
      }
    }
    return undefined;
  };
}

describe('les under random faults', () => {
  it(
    `agrees on the most senior live node within ${SETTLE_MS}ms of the faults ending`,
    () => {
      fc.assert(
        fc.property(scenarios, startTimes, push, (scenario, starts, withPush) => {
          const { sim, nodes } = setUp(scenario, starts, withPush);
          explained(sim, () => {
            runLesSchedule(sim, nodes, scenario.steps);
            recoverLes(sim, nodes);
            thawAll(sim);
            const from = sim.now;
            if (!sim.runUntil(agreesOnSenior, SETTLE_MS)) {
              throw new Error(`not settled ${SETTLE_MS}ms after ${from}ms: ${views(sim)}`);
            }
            // And it stays settled.
            sim.run(5 * LOOP_MS);
            expect(agreesOnSenior(sim), views(sim)).toBe(true);
          });
        }),
        propertyParameters(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'never names a removed member, and takes the lead itself only once every member confirms',
    () => {
      fc.assert(
        fc.property(scenarios, startTimes, push, (scenario, starts, withPush) => {
          const { sim, nodes } = setUp(scenario, starts, withPush);
          sim.check(leaderIsMember).check(watchNominations(sim));
          explained(sim, () => {
            runLesSchedule(sim, nodes, scenario.steps);
            recoverLes(sim, nodes);
            sim.run(SETTLE_MS);
          });
        }),
        propertyParameters(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
