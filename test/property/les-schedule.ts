/**
 * The shared fault schedules (fault-schedule.ts), played against a simulated LES cluster.
 * A restarted LES node starts afresh: its start_time is the restart's instant, which makes
 * it junior to every node that kept running, as a real restart does.
 */

import { type LesOptions, lesProtocol } from '../../machines/les/definition.js';
import { compareSeniority, type LesContext } from '../../machines/les/machine.js';
import type { MemberSpec } from '../../machines/protocol-definition.js';
import { type DelayDistribution, Simulation } from '../../src/sim/index.js';
import { applyStep, type Step } from './fault-schedule.js';

export type LesSimulation = Simulation<LesOptions>;

export const LES_IDS = ['n1.test:4000', 'n2.test:4000', 'n3.test:4000', 'n4.test:4000'];
export const LOOP_MS = 1000;
export const STATE_TIMEOUT_MS = 3000;
export const CALM_DELAY: DelayDistribution = { kind: 'uniform', minMs: 1, maxMs: 5 };
/** The longest freeze a schedule holds (see fault-schedule.ts). */
export const MAX_FREEZE_MS = 2000;
/** Start times of nodes that restart lie after every first start time a run draws. */
const RESTART_EPOCH_S = 1_000;

/**
 * Four nodes whose first start times are `startTimes` (seconds; equal ones are ties, broken
 * by address), on a one-second loop.
 */
export function lesSimulation(
  seed: number,
  startTimes: readonly number[],
  options: LesOptions = {},
): { sim: LesSimulation; nodes: MemberSpec[] } {
  const nodes: MemberSpec[] = LES_IDS.map((id, i) => ({
    id,
    options: { startTime: startTimes[i] ?? 0 },
  }));
  const sim = new Simulation<LesOptions>({
    nodes,
    seed,
    protocol: lesProtocol,
    options: { loopMs: LOOP_MS, stateTimeoutMs: STATE_TIMEOUT_MS, ...options },
  });
  return { sim, nodes };
}

/** Gives `id` the start time of a process started now, before it boots again. */
function restartJunior(sim: LesSimulation, nodes: MemberSpec[], id: string): void {
  const spec = nodes.find((n) => n.id === id)!;
  spec.options = { ...spec.options, startTime: RESTART_EPOCH_S + sim.now / 1000 };
  sim.restart(id);
}

export function runLesSchedule(
  sim: LesSimulation,
  nodes: MemberSpec[],
  steps: readonly Step[],
): void {
  for (const step of steps) {
    if (step.kind === 'restart') restartJunior(sim, nodes, step.node);
    // LES has no resignation; the step reaches a machine that ignores it.
    else applyStep(sim, step);
  }
}

/** Ends every fault a schedule can leave behind but freezes, which end on their own. */
export function recoverLes(sim: LesSimulation, nodes: MemberSpec[]): void {
  sim.heal();
  sim.setFaults({ loss: 0, duplicate: 0, delay: CALM_DELAY });
  for (const s of sim.states()) if (!s.up) restartJunior(sim, nodes, s.id);
}

export function thawAll(sim: LesSimulation): void {
  sim.runUntil((s) => s.states().every((n) => !n.frozen), MAX_FREEZE_MS);
}

export function lesContext(sim: LesSimulation, id: string): LesContext | undefined {
  return (sim.snapshot(id) as { context: LesContext } | undefined)?.context;
}

/** The most senior live node: smallest start_time, then smallest address. */
export function mostSeniorLive(sim: LesSimulation): string | undefined {
  let best: { address: string; start_time: number } | undefined;
  for (const id of sim.ids) {
    const ctx = lesContext(sim, id);
    if (ctx === undefined) continue;
    const me = { address: id, start_time: ctx.startTime };
    if (best === undefined || compareSeniority(me, best) < 0) best = me;
  }
  return best?.address;
}

/** Every live node knows every other, names the most senior, and that one leads. */
export function agreesOnSenior(sim: LesSimulation): boolean {
  const senior = mostSeniorLive(sim);
  if (senior === undefined || sim.node(senior).role !== 'leader') return false;
  const live = sim.states().filter((s) => s.up);
  return live.every(
    (s) => s.leader === senior && live.every((other) => s.members?.includes(other.id)),
  );
}

export function views(sim: LesSimulation): string {
  return sim
    .states()
    .map((s) => {
      const ctx = lesContext(sim, s.id);
      if (ctx === undefined) return `${s.id}:down`;
      return `${s.id}:${s.role}@${ctx.startTime}->${s.leader} [${ctx.members.join(' ')}]${s.frozen ? '(frozen)' : ''}`;
    })
    .join('; ');
}
