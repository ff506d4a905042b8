import {
  type CheckBounds,
  clusterIds,
  DEFAULT_BOUNDS,
  type Invariant,
  type ProtocolModel,
} from '../../machines/protocol-model.js';
import { collisionProbability, FingerprintSet, IntQueue } from './fingerprints.js';
import type { CheckStep } from './steps.js';
import { Successors } from './successors.js';
import { StateFingerprints } from './symmetry.js';

/**
 * Breadth-first search over every state a small cluster can reach: each node's machine
 * state, the messages in flight (a multiset), the pending timers and the faults spent.
 * Breadth first, so the first violation found has a shortest path from the start (with one
 * thread; see parallel.ts for several).
 *
 * What the search keeps per state is small and flat: its 64-bit fingerprint in an
 * open-addressing table, and how it was first reached (the state it came from, the step's
 * kind and node, and a 32-bit hash naming the message or timer) in typed arrays, 17 bytes
 * a state in all. Only the frontier holds whole states, as runs of numbers. A path is
 * rebuilt by following the recorded steps from the initial state.
 */

/** A snapshot of a search under way. */
export interface Progress {
  states: number;
  queue: number;
  transitions: number;
  depth: number;
  elapsedMs: number;
  statesPerSecond: number;
  /** Estimated probability that two distinct states so far share a fingerprint. */
  collisionProbability: number;
}

/** Options of `explore`. */
export interface ExploreOptions {
  bounds?: Partial<CheckBounds>;
  /** Called now and then during the search (every `progressEvery` states). */
  onProgress?: (p: Progress) => void;
  progressEvery?: number;
  /** Turn symmetry reduction off even for a protocol that allows it. */
  symmetry?: boolean;
  /**
   * Turn off the reductions beyond symmetry (dead letters, forgotten history), for an
   * exact count of the states within the bounds.
   */
  reduce?: boolean;
}

/** An invariant that broke, and the shortest path to a state that breaks it. */
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
  /** Whether states equal up to renaming nodes counted as one (in all states or some). */
  symmetry: boolean;
  /** Whether messages to a node down for good were dropped at once (see `reduce`). */
  reduced: boolean;
  /** The reductions the search ran, in words. */
  reductions: string[];
  /** Threads that explored. */
  workers: number;
  /** Estimated probability that two distinct states shared a fingerprint (n²/2^65). */
  collisionProbability: number;
  /** Bytes of the state store (fingerprint table and paths), the frontier aside. */
  storeBytes: number;
  /** The nodes' ids. */
  ids: string[];
  violation?: Violation;
}

/**
 * The invariant name under which every search reports a deadlock: live nodes, no leader, and
 * nothing left that could happen.
 */
export const DEADLOCK = 'no deadlock';
/** What a deadlock report says. */
export const DEADLOCK_MESSAGE = 'live nodes, no leader, and nothing left that could happen';

/** How a search runs: its bounds, the nodes' ids and the reductions it may use. */
export interface SearchSettings {
  bounds: CheckBounds;
  ids: string[];
  /** Whether states equal up to renaming nodes count as one. */
  symmetric: boolean;
  /** Whether the reductions beyond untimed symmetry may run. */
  reduce: boolean;
}

/** The settings a search runs with, from the model's defaults, the caller's and the options. */
export function searchSettings(
  model: ProtocolModel,
  options: Pick<ExploreOptions, 'bounds' | 'symmetry' | 'reduce'>,
): SearchSettings {
  const bounds: CheckBounds = { ...DEFAULT_BOUNDS, ...model.defaults, ...options.bounds };
  checkBounds(bounds);
  const reduce = options.reduce !== false;
  const symmetric = model.symmetric === true && options.symmetry !== false && !bounds.timed;
  return { bounds, ids: clusterIds(model, bounds.nodes), symmetric, reduce };
}

/** The reductions a search with these settings runs, in words, for its report. */
export function reductionsRun(settings: SearchSettings, succ: Successors): string[] {
  const out: string[] = [];
  if (settings.symmetric) out.push('symmetry');
  if (succ.deadLetters) out.push('dead letters');
  if (succ.table.forgets) out.push('forgotten history');
  return out;
}

/**
 * Checks every invariant in a state, remembering node-state combinations already found to
 * satisfy every nodes-only invariant (they recur across many states).
 */
export class InvariantChecks {
  private readonly perNodes: Invariant[];
  private readonly perState: Invariant[];
  private readonly goodNodes = new Set<number | string>();

  constructor(
    private readonly succ: Successors,
    model: ProtocolModel,
    timed: boolean,
  ) {
    const invariants = model.invariants.filter((inv) => timed || inv.timedOnly !== true);
    this.perNodes = invariants.filter((inv) => inv.nodesOnly === true);
    this.perState = invariants.filter((inv) => inv.nodesOnly !== true);
  }

  /**
   * The first invariant the state (its nodes, the first `count` of `msgs`, the faults spent)
   * breaks and what went wrong, or undefined.
   */
  check(
    nodes: readonly number[],
    msgs: readonly number[],
    count: number,
    faults: number,
  ): { invariant: string; message: string } | undefined {
    if (this.perNodes.length > 0) {
      const key = this.nodesKey(nodes);
      if (!this.goodNodes.has(key)) {
        const view = this.succ.view(nodes, msgs.slice(0, count), faults);
        for (const inv of this.perNodes) {
          const message = inv.check(view);
          if (message !== undefined) return { invariant: inv.name, message };
        }
        this.goodNodes.add(key);
      }
    }
    if (this.perState.length === 0) return undefined;
    const view = this.succ.view(nodes, msgs.slice(0, count), faults);
    for (const inv of this.perState) {
      const message = inv.check(view);
      if (message !== undefined) return { invariant: inv.name, message };
    }
    return undefined;
  }

  /**
   * The node states as one key: a number while each id fits its share of 53 bits (17 bits,
   * 131,072 node states, for three nodes), else their ids joined.
   */
  private nodesKey(nodes: readonly number[]): number | string {
    const base = 2 ** Math.floor(53 / nodes.length);
    let key = 0;
    for (let i = nodes.length - 1; i >= 0; i--) {
      if (nodes[i]! >= base) return nodes.join(',');
      key = key * base + nodes[i]!;
    }
    return key;
  }

  /** Whether a state with no step but faults left is a deadlock (live nodes, no leader). */
  deadlocked(nodes: readonly number[]): boolean {
    const views = nodes.map((n) => this.succ.table.records[n]!.view).filter((v) => v.up);
    return views.length > 0 && !views.some((v) => v.role === 'leader');
  }
}

/** How each state was first reached, as typed arrays indexed by state number. */
export interface PathStore {
  parent: Int32Array;
  /** The step's kind × 16 + its node. */
  kindNode: Uint8Array;
  /** The 32-bit hash naming the step's message or timer. */
  op: Int32Array;
}

/**
 * The steps from the initial state to state `index`, rebuilt by following each recorded
 * step; also the state reached.
 */
export function pathTo(
  succ: Successors,
  paths: PathStore,
  index: number,
): { steps: CheckStep[]; nodes: number[]; msgs: number[]; faults: number } {
  const edges: number[] = [];
  for (let i = index; i > 0; i = paths.parent[i]!) edges.push(i);
  edges.reverse();
  const init = succ.initial();
  let state = { nodes: init.nodes, msgs: init.msgs, faults: 0 };
  const steps: CheckStep[] = [];
  for (const i of edges) {
    const kind = paths.kindNode[i]! >> 4;
    const node = paths.kindNode[i]! & 15;
    const op = paths.op[i]!;
    steps.push(succ.step(state.nodes, state.msgs, kind, node, op));
    const next = succ.follow(state.nodes, state.msgs, state.faults, kind, node, op);
    if (next === undefined)
      throw new Error(`the recorded path to state ${index} cannot be followed`);
    state = next;
  }
  return { steps, ...state };
}

/** What one search (on one thread or several) adds up to, timed from `start`. */
export function searchResult(
  model: ProtocolModel,
  parts: Pick<
    ExploreResult,
    | 'bounds'
    | 'states'
    | 'transitions'
    | 'pruned'
    | 'depth'
    | 'complete'
    | 'machineSteps'
    | 'symmetry'
    | 'reduced'
    | 'reductions'
    | 'workers'
    | 'storeBytes'
    | 'ids'
  > & { start: number; violation: Violation | undefined },
): ExploreResult {
  const { start, violation, ...rest } = parts;
  const elapsedMs = performance.now() - start;
  return {
    ok: violation === undefined,
    protocol: model.name,
    ...rest,
    elapsedMs,
    statesPerSecond: rest.states / Math.max(elapsedMs / 1000, 1e-6),
    collisionProbability: collisionProbability(rest.states),
    ...(violation === undefined ? {} : { violation }),
  };
}

/**
 * The first frontier: state 0 alone, laid out as every queued state is (its number, faults
 * spent, message count, the nodes, then the messages).
 */
export function initialFrontier(init: { nodes: number[]; msgs: number[] }): IntQueue {
  const queue = new IntQueue();
  queueState(queue, 0, 0, init.nodes, init.msgs, init.msgs.length);
  return queue;
}

/** Queues one state: its number, faults spent, message count, its nodes, then its messages. */
export function queueState(
  queue: Pick<IntQueue, 'push'>,
  index: number,
  spent: number,
  nodes: readonly number[],
  msgs: readonly number[],
  count: number,
): void {
  queue.push(index);
  queue.push(spent);
  queue.push(count);
  for (let i = 0; i < nodes.length; i++) queue.push(nodes[i]!);
  for (let i = 0; i < count; i++) queue.push(msgs[i]!);
}

/**
 * Searches every state of `model` within the bounds, breadth first, checking its invariants in
 * each.
 */
export function explore(model: ProtocolModel, options: ExploreOptions = {}): ExploreResult {
  const settings = searchSettings(model, options);
  const { bounds, ids, symmetric, reduce } = settings;
  const succ = new Successors(model, ids, bounds, reduce);
  const prints = new StateFingerprints(succ.table, ids.length, symmetric);
  const checks = new InvariantChecks(succ, model, bounds.timed);
  const start = performance.now();
  const seen = new FingerprintSet();
  let capacity = 1 << 16;
  const paths: PathStore = {
    parent: new Int32Array(capacity),
    kindNode: new Uint8Array(capacity),
    op: new Int32Array(capacity),
  };
  let states = 0;
  let maxDepth = 0;

  const result = (violation: Violation | undefined, complete: boolean): ExploreResult =>
    searchResult(model, {
      bounds,
      states,
      transitions: succ.transitions,
      pruned: succ.pruned,
      depth: maxDepth,
      complete,
      machineSteps: succ.table.transitions,
      symmetry: symmetric,
      reduced: succ.deadLetters,
      reductions: reductionsRun(settings, succ),
      workers: 1,
      storeBytes: seen.bytes + 9 * capacity,
      ids,
      start,
      violation,
    });
  const violationAt = (index: number, invariant: string, message: string): Violation => ({
    invariant,
    message,
    steps: pathTo(succ, paths, index).steps,
  });

  const init = succ.initial();
  prints.of(init.nodes, init.msgs, init.msgs.length, 0);
  seen.add(prints.hi, prints.lo);
  paths.parent[0] = -1;
  states = 1;
  const first = checks.check(init.nodes, init.msgs, init.msgs.length, 0);
  if (first !== undefined) return result(violationAt(0, first.invariant, first.message), true);

  // The frontier, one state after another: its number, faults spent, message count, the
  // nodes, then the messages.
  const n = ids.length;
  let queue = initialFrontier(init);
  let next = new IntQueue();
  let queued = 1;
  let nextQueued = 0;
  let depth = 0;
  const every = options.progressEvery ?? 50_000;
  let nextReport = every;
  let from = 0;
  let violation: Violation | undefined;
  const nodes: number[] = new Array(n).fill(0);
  let msgs: number[] = [];

  const visit = (
    kind: number,
    node: number,
    op: number,
    ns: number[],
    ms: number[],
    count: number,
    spent: number,
  ): boolean => {
    prints.of(ns, ms, count, spent);
    if (!seen.add(prints.hi, prints.lo)) return false;
    const index = states++;
    if (index >= capacity) {
      capacity *= 2;
      paths.parent = grow(paths.parent, capacity);
      paths.kindNode = grow(paths.kindNode, capacity);
      paths.op = grow(paths.op, capacity);
    }
    paths.parent[index] = from;
    paths.kindNode[index] = (kind << 4) | node;
    paths.op[index] = op;
    maxDepth = depth + 1;
    queueState(next, index, spent, ns, ms, count);
    nextQueued++;
    const broken = checks.check(ns, ms, count, spent);
    if (broken === undefined) return false;
    violation = violationAt(index, broken.invariant, broken.message);
    return true;
  };

  for (;;) {
    if (queue.length === 0) {
      if (nextQueued === 0) break;
      queue = next;
      queued = nextQueued;
      next = new IntQueue();
      nextQueued = 0;
      depth++;
    }
    if (states >= bounds.maxStates) return result(undefined, false);
    if (options.onProgress !== undefined && states >= nextReport) {
      nextReport = states + every;
      const elapsedMs = performance.now() - start;
      options.onProgress({
        states,
        queue: queued + nextQueued,
        transitions: succ.transitions,
        depth: maxDepth,
        elapsedMs,
        statesPerSecond: states / Math.max(elapsedMs / 1000, 1e-6),
        collisionProbability: collisionProbability(states),
      });
    }
    from = queue.shift();
    const faults = queue.shift();
    const count = queue.shift();
    for (let i = 0; i < n; i++) nodes[i] = queue.shift();
    msgs = new Array(count);
    for (let i = 0; i < count; i++) msgs[i] = queue.shift();
    queued--;
    const progress = succ.expand(nodes, msgs, faults, visit);
    if (violation !== undefined) return result(violation, false);
    if (progress === 0 && checks.deadlocked(nodes)) {
      return result(violationAt(from, DEADLOCK, DEADLOCK_MESSAGE), false);
    }
  }
  return result(undefined, true);
}

function grow<T extends Int32Array | Uint8Array>(a: T, size: number): T {
  const out = new (a.constructor as new (n: number) => T)(size);
  out.set(a);
  return out;
}

/** Throws a RangeError naming the first bound out of its range. */
export function checkBounds(b: CheckBounds): void {
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
