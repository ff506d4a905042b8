/**
 * The shared fault schedules (fault-schedule.ts), played against a simulated Bully cluster.
 * The steps are the same; only how they reach the simulation differs, since a Bully
 * simulation is typed by its own options and has nothing to resign.
 */

import {
  type BullyOptions,
  bullyProtocol,
  DEFAULT_BULLY_TIMING,
} from '../../machines/bully/definition.js';
import { type BullyContext, comparePriority } from '../../machines/bully/machine.js';
import { type DelayDistribution, Simulation } from '../../src/sim/index.js';
import { runSchedule, type Step } from './fault-schedule.js';

export type BullySimulation = Simulation<BullyOptions>;

export const BULLY_IDS = ['n1', 'n2', 'n3', 'n4', 'n5'];
export const TIMING = DEFAULT_BULLY_TIMING;
/** The network once faults end: nothing lost or doubled, and fast. */
export const CALM_DELAY: DelayDistribution = { kind: 'uniform', minMs: 1, maxMs: 5 };
/** The longest freeze a schedule holds (see fault-schedule.ts). */
export const MAX_FREEZE_MS = 2000;

/** Five nodes ranked by position (n5 highest), on the default timing. */
export function bullySimulation(seed: number): BullySimulation {
  return new Simulation({ nodes: BULLY_IDS.length, seed, protocol: bullyProtocol, options: {} });
}

export function runBullySchedule(sim: BullySimulation, steps: readonly Step[]): void {
  // Bully keeps nothing on disk and has no resignation: restarts are all alike, and a
  // resign step reaches a machine that ignores it.
  runSchedule(sim, steps);
}

/** Ends every fault a schedule can leave behind but freezes, which end on their own. */
export function recoverBully(sim: BullySimulation, delay = CALM_DELAY): void {
  sim.heal();
  sim.setFaults({ loss: 0, duplicate: 0, delay });
  for (const s of sim.states()) if (!s.up) sim.restart(s.id);
}

/** Runs until no node is frozen; none stays frozen longer than a schedule's longest freeze. */
export function thawAll(sim: BullySimulation): void {
  sim.runUntil((s) => s.states().every((n) => !n.frozen), MAX_FREEZE_MS);
}

/** A live node's Bully context, or undefined while it is down. */
export function bullyContext(sim: BullySimulation, id: string): BullyContext | undefined {
  return (sim.snapshot(id) as { context: BullyContext } | undefined)?.context;
}

/** The live, thawed node among `ids` with the highest priority. */
export function highestLive(sim: BullySimulation, ids: readonly string[]): string | undefined {
  let best: { id: string; context: BullyContext } | undefined;
  for (const id of ids) {
    const state = sim.node(id);
    const context = bullyContext(sim, id);
    if (!state.up || state.frozen || context === undefined) continue;
    if (best === undefined || comparePriority(context, best.context) > 0) best = { id, context };
  }
  return best?.id;
}

/** Every live node of `ids` follows the highest of them, which leads. */
export function agreesOnHighest(sim: BullySimulation, ids: readonly string[]): boolean {
  const top = highestLive(sim, ids);
  if (top === undefined || sim.node(top).role !== 'leader') return false;
  return ids.every((id) => {
    const s = sim.node(id);
    return !s.up || s.frozen || s.leader === top;
  });
}

export function views(sim: BullySimulation): string {
  return sim
    .states()
    .map(
      (s) =>
        `${s.id}:${s.up ? s.role : 'down'}@${s.term}->${s.leader}${s.frozen ? '(frozen)' : ''}`,
    )
    .join(' ');
}
