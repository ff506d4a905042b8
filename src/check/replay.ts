import type { ProtocolDefinition } from '../../machines/protocol-definition.js';
import {
  type ClusterView,
  clusterIds,
  type InFlightView,
  type NodeView,
  type ProtocolModel,
} from '../../machines/protocol-model.js';
import { Simulation } from '../sim/simulation.js';
import type { Counterexample } from './counterexample.js';
import { DEADLOCK } from './explorer.js';
import { ENVIRONMENT } from './node-table.js';
import { describeStep } from './steps.js';

/**
 * Runs a counterexample again in the simulator (real XState actors, a manual clock and
 * network), one step at a time, and checks the model's invariants after each step. A
 * checker bug or a stale file shows up as a step that cannot be applied.
 */

export interface ReplayResult {
  /** The same invariant broke, at the last step. */
  reproduced: boolean;
  /** The first invariant found broken (undefined if none). */
  invariant?: string;
  message?: string;
  /** Steps applied before the violation (or before the replay stopped). */
  steps: number;
  /** Why a step could not be applied, if one could not. */
  diverged?: string;
  /** One line per step, as applied. */
  log: string[];
}

/**
 * A checker model as the simulator runs it: the same machine, input and view, and a lease
 * only where the checker keeps one (timed mode).
 */
export function simulatedProtocol(
  model: ProtocolModel,
  timed: boolean,
): ProtocolDefinition<Record<string, never>> {
  return {
    name: model.name,
    logic: model.logic,
    decode: (raw) => raw,
    leased: timed && model.leased === true,
    check: () => {},
    input: ({ id, members, persisted }) =>
      model.input({ id, ids: members.map((m) => m.id), persisted, timed }),
    view: (s) => {
      const v = model.view(s as never);
      return { role: v.role, leader: v.leader, term: v.term };
    },
  };
}

/**
 * Runs a counterexample's steps again in a manual simulation and reports whether the same invariant
 * breaks at its last step.
 */
export function replay(model: ProtocolModel, c: Counterexample): ReplayResult {
  const { bounds } = c;
  const timed = bounds.timed;
  const ids = c.ids ?? clusterIds(model, bounds.nodes);
  const protocol = simulatedProtocol(model, timed);
  const nodes = ids.map((id) => ({ id }));
  const sim = new Simulation({ nodes, seed: 1, protocol, manual: true });
  const ghosts = new Map<string, unknown>();
  const observe = (id: string, received: unknown) => {
    if (model.ghost === undefined) return;
    const snapshot = sim.snapshot(id);
    if (snapshot === undefined) return;
    ghosts.set(id, model.ghost.update(ghosts.get(id) as never, snapshot as never, received));
  };
  for (const id of ids) {
    ghosts.set(id, model.ghost?.initial);
    observe(id, undefined);
  }
  let env = (model.environment?.(ids, bounds) ?? []).map((e) => ({ from: ENVIRONMENT, ...e }));
  let faults = 0;
  const log: string[] = [];

  /** Keeps the simulator's network as the checker's: merged identical sends, no obsolete ones. */
  const settleNetwork = (before: number) => {
    const held = sim.inFlight();
    const fresh = held.slice(before);
    const kept: InFlightView[] = held.slice(0, before).slice();
    for (const m of fresh) {
      const json = JSON.stringify(m.msg);
      const copies = kept.filter(
        (k) => k.from === m.from && k.to === m.to && JSON.stringify(k.msg) === json,
      ).length;
      if (copies >= bounds.maxCopies) sim.drop(m.from, m.to, m.msg);
      else kept.push(m);
    }
    if (model.obsolete === undefined) return;
    for (const m of [...sim.inFlight()]) {
      if (model.obsolete(m.msg as never, receiverOf(m.to))) sim.drop(m.from, m.to, m.msg);
    }
  };
  const receiverOf = (id: string) => {
    const st = sim.node(id);
    return {
      snapshot: sim.snapshot(id),
      durable: st.up || st.term === undefined ? undefined : { term: st.term, votedFor: null },
    };
  };

  const view = (): ClusterView => ({
    nodes: ids.map((id): NodeView => {
      const st = sim.node(id);
      const snapshot = sim.snapshot(id) as NodeView['snapshot'];
      return {
        id,
        up: st.up,
        snapshot,
        role: st.role,
        leader: st.leader,
        term: st.term,
        leaseValid: timed && st.isLeader,
        ghost: ghosts.get(id),
      };
    }),
    inFlight: [...env, ...sim.inFlight()],
    faultsLeft: bounds.maxFaults - faults,
    timed,
  });

  const invariants = model.invariants.filter((inv) => timed || inv.timedOnly !== true);
  const broken = (): { invariant: string; message: string } | undefined => {
    const v = view();
    for (const inv of invariants) {
      const message = inv.check(v);
      if (message !== undefined) return { invariant: inv.name, message };
    }
    return undefined;
  };

  settleNetwork(0);
  const initial = broken();
  if (initial !== undefined) {
    return {
      reproduced: c.steps.length === 0 && initial.invariant === c.invariant,
      ...initial,
      steps: 0,
      log,
    };
  }
  for (const [i, step] of c.steps.entries()) {
    const before = sim.inFlight().length;
    let applied = true;
    switch (step.kind) {
      case 'deliver':
      case 'drop':
      case 'duplicate': {
        if (step.from === ENVIRONMENT) {
          const at = env.findIndex(
            (e) => e.to === step.to && JSON.stringify(e.msg) === JSON.stringify(step.msg),
          );
          applied = at >= 0;
          if (!applied) break;
          if (step.kind === 'duplicate') env = [...env, env[at]!];
          else env = env.filter((_, j) => j !== at);
          if (step.kind === 'deliver') {
            sim.send(step.to, { type: 'receive', from: ENVIRONMENT, msg: step.msg } as never);
          }
        } else {
          applied = sim[step.kind](step.from, step.to, step.msg);
        }
        if (step.kind !== 'deliver') faults++;
        else if (applied) observe(step.to, step.msg);
        break;
      }
      case 'timer':
        applied = sim.fire(step.node, step.timer);
        if (applied) observe(step.node, undefined);
        break;
      case 'crash':
        applied = sim.node(step.node).up;
        if (applied) sim.crash(step.node);
        faults++;
        break;
      case 'restart':
        applied = !sim.node(step.node).up;
        if (applied) sim.restart(step.node);
        observe(step.node, undefined);
        faults++;
        break;
      case 'tick':
        sim.run(1);
        break;
    }
    log.push(`${i + 1}. ${describeStep(step)}`);
    if (!applied) {
      return { reproduced: false, steps: i, diverged: `step ${i + 1} could not be applied`, log };
    }
    const network = 'from' in step && step.from !== ENVIRONMENT;
    const shift = !network ? 0 : step.kind === 'duplicate' ? 1 : -1;
    settleNetwork(before + shift);
    const b = broken();
    if (b !== undefined) {
      const last = i === c.steps.length - 1;
      return { reproduced: last && b.invariant === c.invariant, ...b, steps: i + 1, log };
    }
  }
  if (c.invariant === DEADLOCK) {
    const live = ids.filter((id) => sim.node(id).up);
    const stuck =
      sim.inFlight().length === 0 &&
      env.length === 0 &&
      live.every((id) => sim.pendingTimers(id).length === 0 && sim.node(id).role !== 'leader');
    if (live.length > 0 && stuck) {
      return {
        reproduced: true,
        invariant: DEADLOCK,
        message: 'live nodes, no leader, and nothing left that could happen',
        steps: c.steps.length,
        log,
      };
    }
  }
  return { reproduced: false, steps: c.steps.length, log };
}
