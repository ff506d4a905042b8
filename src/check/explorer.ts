import {
  type CheckBounds,
  type ClusterView,
  clusterIds,
  DEFAULT_BOUNDS,
  type FaultKinds,
  type InFlightView,
  type Invariant,
  type ProtocolModel,
} from './model.js';
import { ENVIRONMENT, NodeTable, type StepOutcome } from './node-table.js';
import type { CheckStep } from './steps.js';
import { SymmetryKeys } from './symmetry.js';

/**
 * Breadth-first search over every state a small cluster can reach: each node's machine
 * state, the messages in flight (a multiset), the pending timers and the faults spent.
 * Breadth first, so the first violation found has a shortest path from the start.
 */

export interface Progress {
  states: number;
  queue: number;
  transitions: number;
  depth: number;
  elapsedMs: number;
  statesPerSecond: number;
}

/** Options of `explore`. */
export interface ExploreOptions {
  bounds?: Partial<CheckBounds>;
  /** Called now and then during the search (every `progressEvery` states). */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** Turn symmetry reduction off even for a protocol that allows it. */
  symmetry?: boolean;
}

export interface Violation {
  invariant: string;
  message: string;
  steps: CheckStep[];
}

/**
 * What a search found: whether every invariant held, its size and cost, and the first violation's
 * shortest path.
 */
export interface ExploreResult {
  ok: boolean;
  protocol: string;
  bounds: CheckBounds;
  /** Distinct states reached. */
  states: number;
  /** Steps taken from explored states (including those that led to known states). */
  transitions: number;
  /** Successors not explored because they went past a bound. */
  pruned: number;
  /** Length of the longest shortest path explored. */
  depth: number;
  /** False when the search stopped at `maxStates` before covering the space. */
  complete: boolean;
  elapsedMs: number;
  statesPerSecond: number;
  /** Calls into XState's transition (the rest came from the memo). */
  machineSteps: number;
  symmetry: boolean;
  /** The nodes' ids. */
  ids: string[];
  violation?: Violation;
}

/**
 * The invariant name under which every search reports a deadlock: live nodes, no leader, and
 * nothing left that could happen.
 */
export const DEADLOCK = 'no deadlock';

interface State {
  index: number;
  nodes: number[];
  msgs: number[];
  faults: number;
}

/**
 * How a state was first reached, packed as numbers (a kind and two operands) so that the
 * millions of steps leading to states already seen allocate nothing.
 */
const DELIVER = 0;
const DROP = 1;
const DUPLICATE = 2;
/** Operands: the node, and the timer's id and event type as one interned name. */
const TIMER = 3;
const CRASH = 4;
const RESTART = 5;
const TICK = 6;
const MESSAGE_KINDS = ['deliver', 'drop', 'duplicate'] as const;

const ALL_FAULTS: FaultKinds = { drop: true, duplicate: true, crash: true };

/**
 * Searches every state of `model` within the bounds, breadth first, checking its invariants in
 * each.
 */
export function explore(model: ProtocolModel, options: ExploreOptions = {}): ExploreResult {
  const bounds: CheckBounds = { ...DEFAULT_BOUNDS, ...model.defaults, ...options.bounds };
  checkBounds(bounds);
  const faults: FaultKinds = { ...ALL_FAULTS, ...model.faults };
  const ids = clusterIds(model, bounds.nodes);
  const table = new NodeTable(model, ids, bounds);
  const symmetric = model.symmetric === true && options.symmetry !== false && !bounds.timed;
  const symmetry = symmetric ? new SymmetryKeys(table, ids.length) : undefined;
  const invariants = model.invariants.filter((inv) => bounds.timed || inv.timedOnly !== true);
  const start = performance.now();
  /** Canonical keys of the states seen; a state's number is its order of arrival. */
  const visited = new Set<string>();
  const parents: number[] = [];
  const edgeKinds: number[] = [];
  const edgeA: number[] = [];
  const edgeB: number[] = [];
  /** Timer id and event type, interned for TIMER edges. */
  const timerNames: [string, string][] = [];
  const timerIndex = new Map<string, number>();
  const timerEdges = new Map<object, number>();
  const timerName = (id: string, event: string): number => {
    const key = `${id}\u0000${event}`;
    let at = timerIndex.get(key);
    if (at === undefined) {
      at = timerNames.length;
      timerNames.push([id, event]);
      timerIndex.set(key, at);
    }
    return at;
  };
  const depths: number[] = [];
  let transitions = 0;
  let pruned = 0;
  let maxDepth = 0;

  const keyOf = (nodes: number[], msgs: number[], spent: number): string =>
    symmetry === undefined
      ? `${nodes.join(',')}|${msgs.join(',')}|${spent}`
      : symmetry.key(nodes, msgs, spent);

  const viewOf = (s: State): ClusterView => ({
    nodes: s.nodes.map((n) => table.records[n]!.view),
    get inFlight(): InFlightView[] {
      return s.msgs.map((m) => {
        const r = table.messages[m]!;
        return { from: r.from < 0 ? ENVIRONMENT : ids[r.from]!, to: ids[r.to]!, msg: r.msg };
      });
    },
    faultsLeft: bounds.maxFaults - s.faults,
    timed: bounds.timed,
  });

  const pathTo = (index: number): CheckStep[] => {
    const steps: CheckStep[] = [];
    for (let i = index; parents[i]! >= 0; i = parents[i]!) {
      steps.push(stepOf(edgeKinds[i]!, edgeA[i]!, edgeB[i]!));
    }
    return steps.reverse();
  };

  const stepOf = (kind: number, a: number, b: number): CheckStep => {
    switch (kind) {
      case DELIVER:
      case DROP:
      case DUPLICATE: {
        const m = table.messages[a]!;
        const from = m.from < 0 ? ENVIRONMENT : ids[m.from]!;
        return { kind: MESSAGE_KINDS[kind]!, from, to: ids[m.to]!, msg: m.msg };
      }
      case TIMER: {
        const [timer, event] = timerNames[b]!;
        return { kind: 'timer', node: ids[a]!, timer, event };
      }
      case CRASH:
        return { kind: 'crash', node: ids[a]! };
      case RESTART:
        return { kind: 'restart', node: ids[a]! };
      default:
        return { kind: 'tick' };
    }
  };

  const result = (violation: Violation | undefined, complete: boolean): ExploreResult => {
    const elapsedMs = performance.now() - start;
    return {
      ok: violation === undefined,
      protocol: model.name,
      bounds,
      states: visited.size,
      transitions,
      pruned,
      depth: maxDepth,
      complete,
      elapsedMs,
      statesPerSecond: visited.size / Math.max(elapsedMs / 1000, 1e-6),
      machineSteps: table.transitions,
      symmetry: symmetric,
      ids,
      ...(violation === undefined ? {} : { violation }),
    };
  };

  const perNodes = invariants.filter((inv) => inv.nodesOnly === true);
  const perState = invariants.filter((inv) => inv.nodesOnly !== true);
  /** Node-state combinations already found to satisfy every nodes-only invariant. */
  const goodNodes = new Set<string>();

  const checkState = (s: State): Violation | undefined => {
    let view: ClusterView | undefined;
    const broken = (inv: Invariant): Violation | undefined => {
      view ??= viewOf(s);
      const message = inv.check(view);
      return message === undefined
        ? undefined
        : { invariant: inv.name, message, steps: pathTo(s.index) };
    };
    if (perNodes.length > 0) {
      const key = s.nodes.join(',');
      if (!goodNodes.has(key)) {
        for (const inv of perNodes) {
          const v = broken(inv);
          if (v !== undefined) return v;
        }
        goodNodes.add(key);
      }
    }
    for (const inv of perState) {
      const v = broken(inv);
      if (v !== undefined) return v;
    }
    return undefined;
  };

  // The initial state: every node booted, the environment's messages in flight.
  const initNodes: number[] = [];
  let initMsgs: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    const out = table.boot(i, undefined, model.ghost?.initial);
    initNodes.push(out.next);
    initMsgs.push(...out.sends);
  }
  for (const e of model.environment?.(ids, bounds) ?? []) {
    initMsgs.push(table.message(-1, ids.indexOf(e.to), e.msg));
  }
  initMsgs = initMsgs.sort((a, b) => a - b);
  const init: State = { index: 0, nodes: initNodes, msgs: initMsgs, faults: 0 };
  visited.add(keyOf(initNodes, initMsgs, 0));
  parents.push(-1);
  edgeKinds.push(-1);
  edgeA.push(0);
  edgeB.push(0);
  depths.push(0);
  const first = checkState(init);
  if (first !== undefined) return result(first, true);

  let queue: State[] = [init];
  let next: State[] = [];
  let head = 0;
  const every = options.progressEvery ?? 50_000;
  let nextReport = every;

  /** Records a successor; returns a violation if the new state breaks an invariant. */
  const visit = (
    from: State,
    nodes: number[],
    sent: number[],
    spent: number,
    kind: number,
    a: number,
    b: number,
  ): Violation | undefined => {
    transitions++;
    const msgs = live(nodes, sent);
    if (msgs.length > bounds.maxInFlight) {
      pruned++;
      return undefined;
    }
    const key = keyOf(nodes, msgs, spent);
    // One hash lookup: a key already there leaves the size as it was.
    const seen = visited.size;
    visited.add(key);
    if (visited.size === seen) return undefined;
    const index = parents.length;
    parents.push(from.index);
    edgeKinds.push(kind);
    edgeA.push(a);
    edgeB.push(b);
    const depth = depths[from.index]! + 1;
    depths.push(depth);
    if (depth > maxDepth) maxDepth = depth;
    const s: State = { index, nodes, msgs, faults: spent };
    next.push(s);
    return checkState(s);
  };

  const withNode = (nodes: number[], at: number, rec: number): number[] => {
    const copy = nodes.slice();
    copy[at] = rec;
    return copy;
  };

  /**
   * The message list with `sends` added, kept sorted. A message already in flight
   * `maxCopies` times absorbs an identical send: the network delivers that many at most
   * (a duplicate fault can still add one more).
   */
  const addMsgs = (msgs: number[], sends: number[]): number[] => {
    if (sends.length === 0) return msgs;
    const out = msgs.slice();
    for (const m of sends) {
      let copies = 0;
      for (const x of out) if (x === m) copies++;
      if (copies < bounds.maxCopies) out.push(m);
    }
    return out.sort((a, b) => a - b);
  };

  /** The message list with the copy at `at` removed and `sends` added. */
  const replaceMsgs = (msgs: number[], at: number, sends: number[]): number[] =>
    addMsgs(msgs.slice(0, at).concat(msgs.slice(at + 1)), sends);

  /** Drops the messages the receiver has left behind for good (see `model.obsolete`). */
  const live = (nodes: number[], msgs: number[]): number[] => {
    if (model.obsolete === undefined) return msgs;
    let out: number[] | undefined;
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      const gone = table.isObsolete(table.records[nodes[table.messages[m]!.to]!]!, m);
      if (gone && out === undefined) out = msgs.slice(0, i);
      else if (!gone && out !== undefined) out.push(m);
    }
    return out ?? msgs;
  };

  const inBounds = (outcome: StepOutcome): boolean => {
    if (!table.records[outcome.next]!.withinBounds) {
      pruned++;
      return false;
    }
    return true;
  };

  for (;;) {
    if (head >= queue.length) {
      if (next.length === 0) break;
      queue = next;
      next = [];
      head = 0;
    }
    const s = queue[head++]!;
    if (visited.size >= bounds.maxStates) return result(undefined, false);
    if (options.onProgress !== undefined && visited.size >= nextReport) {
      nextReport = visited.size + every;
      const elapsedMs = performance.now() - start;
      options.onProgress({
        states: visited.size,
        queue: queue.length - head + next.length,
        transitions,
        depth: maxDepth,
        elapsedMs,
        statesPerSecond: visited.size / Math.max(elapsedMs / 1000, 1e-6),
      });
    }
    // Steps other than faults: without any, a cluster with no leader is stuck for good.
    let progress = 0;
    const canFault = s.faults < bounds.maxFaults;

    // Messages: deliver, drop or duplicate any one of them (each distinct one once).
    for (let i = 0; i < s.msgs.length; i++) {
      const m = s.msgs[i]!;
      if (i > 0 && s.msgs[i - 1] === m) continue;
      const msg = table.messages[m]!;
      const target = table.records[s.nodes[msg.to]!]!;
      const out = table.deliver(target, msg);
      const msgs = replaceMsgs(s.msgs, i, out.sends);
      progress++;
      if (inBounds(out)) {
        const v = visit(s, withNode(s.nodes, msg.to, out.next), msgs, s.faults, DELIVER, m, 0);
        if (v !== undefined) return result(v, false);
      }
      if (!canFault) continue;
      if (faults.drop) {
        const v = visit(s, s.nodes, replaceMsgs(s.msgs, i, []), s.faults + 1, DROP, m, 0);
        if (v !== undefined) return result(v, false);
      }
      if (faults.duplicate) {
        if (s.msgs.length + 1 <= bounds.maxInFlight) {
          const msgs = s.msgs.concat(m).sort((a, b) => a - b);
          const v = visit(s, s.nodes, msgs, s.faults + 1, DUPLICATE, m, 0);
          if (v !== undefined) return result(v, false);
        } else pruned++;
      }
    }

    // Timers: untimed, any may fire now; timed, those within the drift of their deadline.
    let clockMayAdvance = true;
    for (let n = 0; n < s.nodes.length; n++) {
      const rec = table.records[s.nodes[n]!]!;
      if (!rec.up) continue;
      for (const timer of rec.timers) {
        if (bounds.timed) {
          if (timer.remaining - 1 < -bounds.drift) clockMayAdvance = false;
          if (timer.remaining > bounds.drift) continue;
        }
        const out = table.fire(rec, timer);
        progress++;
        const msgs = addMsgs(s.msgs, out.sends);
        if (!inBounds(out)) continue;
        let name = timerEdges.get(timer);
        if (name === undefined) {
          name = timerName(timer.id, timer.event.type);
          timerEdges.set(timer, name);
        }
        const v = visit(s, withNode(s.nodes, n, out.next), msgs, s.faults, TIMER, n, name);
        if (v !== undefined) return result(v, false);
      }
    }

    // Crashes and restarts.
    if (canFault && faults.crash) {
      for (let n = 0; n < s.nodes.length; n++) {
        const rec = table.records[s.nodes[n]!]!;
        let out: StepOutcome;
        if (rec.up) out = { next: table.down(rec), sends: [] };
        else out = table.boot(n, rec.durable, rec.ghost);
        const msgs = addMsgs(s.msgs, out.sends);
        if (!inBounds(out)) continue;
        const kind = rec.up ? CRASH : RESTART;
        const v = visit(s, withNode(s.nodes, n, out.next), msgs, s.faults + 1, kind, n, 0);
        if (v !== undefined) return result(v, false);
      }
    }

    // Timed mode: the clock moves on once the network is empty (every message arrives, or
    // is lost, within the tick it was sent in) unless a timer would pass its latest time.
    if (bounds.timed && clockMayAdvance && s.msgs.length === 0) {
      const nodes = s.nodes.map((n) => {
        const rec = table.records[n]!;
        return rec.up ? table.tick(rec) : n;
      });
      if (nodes.some((n, i) => n !== s.nodes[i])) progress++;
      const v = visit(s, nodes, s.msgs, s.faults, TICK, 0, 0);
      if (v !== undefined) return result(v, false);
    }

    if (progress === 0) {
      const view = viewOf(s);
      const live = view.nodes.filter((n) => n.up);
      if (live.length > 0 && !live.some((n) => n.role === 'leader')) {
        return result(
          {
            invariant: DEADLOCK,
            message: 'live nodes, no leader, and nothing left that could happen',
            steps: pathTo(s.index),
          },
          false,
        );
      }
    }
  }
  return result(undefined, true);
}

function checkBounds(b: CheckBounds): void {
  const whole = (name: keyof CheckBounds, min: number, max: number) => {
    const v = b[name] as number;
    if (!Number.isSafeInteger(v) || v < min || v > max) {
      throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${v}`);
    }
  };
  whole('nodes', 1, 9);
  whole('maxTerm', 0, 1000);
  whole('maxFaults', 0, 100);
  whole('maxInFlight', 0, 1000);
  whole('maxCopies', 1, 100);
  whole('drift', 0, 1000);
  whole('maxStates', 1, 1e9);
}
