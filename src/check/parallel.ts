import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import {
  MessageChannel,
  type MessagePort,
  receiveMessageOnPort,
  Worker,
} from 'node:worker_threads';
import type { CheckBounds, ProtocolModel } from '../../machines/protocol-model.js';
import {
  DEADLOCK,
  DEADLOCK_MESSAGE,
  type ExploreOptions,
  type ExploreResult,
  InvariantChecks,
  type PathStore,
  pathTo,
  reductionsRun,
  searchResult,
  searchSettings,
  type Violation,
} from './explorer.js';
import { collisionProbability, SharedFingerprintSet } from './fingerprints.js';
import type { Chunk } from './frontier-chunks.js';
import { protocolModel } from './protocol-models.js';
import { growable } from './shared-buffers.js';
import { Successors } from './successors.js';
import { type JournalBuffers, journalBuffers } from './table-journal.js';

/**
 * Breadth-first search on several threads (node:worker_threads), level by level. The states
 * of a level sit in chunks of shared memory (frontier-chunks.ts) that the threads claim one
 * at a time, so each thread expands as much of a level as it gets through, whichever
 * thread found the states: a thread turns another's numbering of node states and messages
 * into its own through that thread's journal (table-journal.ts). The fingerprint table and
 * the paths (parent, step) are shared memory too: a thread adds a successor's fingerprint
 * by compare-and-swap, and the thread that added it first numbers it, records how it was
 * reached and writes it into its chunks of the next level. Threads meet at the end of each
 * level, where the main thread (otherwise asleep) gathers the chunks, grows the table if it
 * is half full and hands both round.
 *
 * Level by level, a violation is still found at the least depth any violation has, but
 * which of the violating states at that depth is reported depends on timing. With one
 * thread, `explore` is deterministic.
 */

/** Slots of the control array shared by the main thread and the workers. */
export const CONTROL = {
  /** Bumped by the main thread to start the next level. */
  generation: 0,
  /** Workers done with the current level. */
  done: 1,
  /** 1 once a violation, an error or `maxStates` ends the search. */
  stop: 2,
  /** States numbered so far (the next state's number). */
  states: 3,
  /** What ended the search: see `END`. */
  end: 4,
  /** The state that broke an invariant or deadlocked. */
  at: 5,
  /** The depth of the deepest state found. */
  depth: 6,
  /** Chunks of the current level claimed so far. */
  claimed: 7,
  /** Fingerprints in the table. */
  prints: 8,
  /** States of the current level expanded so far. */
  expanded: 9,
  /** From here, the states each worker has found for the next level so far. */
  found: 10,
} as const;

/** Why a parallel search ended early. */
export const END = { none: 0, violation: 1, deadlock: 2, error: 3, cut: 4 } as const;

/** Per-worker counters in a Float64Array: transitions, pruned, machine steps. */
export const STATS = 3;

/** What each worker is started with. */
export interface WorkerInput {
  protocol: string;
  bounds: CheckBounds;
  symmetric: boolean;
  reduce: boolean;
  worker: number;
  workers: number;
  control: SharedArrayBuffer;
  stats: SharedArrayBuffer;
  table: SharedArrayBuffer;
  parent: SharedArrayBuffer;
  kindNode: SharedArrayBuffer;
  op: SharedArrayBuffer;
  /** Every worker's journal, by worker. */
  journals: JournalBuffers[];
  port: MessagePort;
}

/** What the main thread hands each worker at the start of a level. */
export interface LevelStart {
  /** The fingerprint table, when it has grown. */
  table?: SharedArrayBuffer;
  chunks: Chunk[];
}

/** The fingerprint table is grown at a level's end once it is this full. */
const GROW_AT = 0.45;
const INITIAL_PATHS = 1 << 20;

/** Threads a parallel search may use. */
export const MAX_THREADS = 64;

/** The worker script beside this module (built), or undefined when running from source. */
function workerScript(): URL | undefined {
  const url = new URL('./parallel-worker.js', import.meta.url);
  return existsSync(fileURLToPath(url)) ? url : undefined;
}

/**
 * The threads `electorate check` explores on unless told: every core (at most
 * `MAX_THREADS`), or one when the worker script is not built (running from source).
 */
export function defaultWorkers(): number {
  return workerScript() === undefined ? 1 : Math.min(availableParallelism(), MAX_THREADS);
}

/**
 * Explores a shipped protocol (by name) on `workers` threads. The result is that of
 * `explore`, with `workers` set; a violation's path is rebuilt on the calling thread.
 */
export function exploreParallel(
  protocol: string,
  workers: number,
  options: ExploreOptions = {},
): ExploreResult {
  const model = protocolModel(protocol);
  if (model === undefined) throw new RangeError(`no model of protocol ${JSON.stringify(protocol)}`);
  if (!Number.isSafeInteger(workers) || workers < 2 || workers > MAX_THREADS) {
    throw new RangeError(`workers must be a whole number from 2 to ${MAX_THREADS}, got ${workers}`);
  }
  const script = workerScript();
  if (script === undefined) throw new Error('the parallel search needs the built package');
  const settings = searchSettings(model, options);
  const { bounds, ids, symmetric, reduce } = settings;
  const start = performance.now();
  const control = new Int32Array(new SharedArrayBuffer(4 * (CONTROL.found + workers)));
  const stats = new Float64Array(new SharedArrayBuffer(8 * STATS * workers));
  let table = SharedFingerprintSet.buffer(1 << 20);
  const maxPaths = Math.min(bounds.maxStates + 1024, 2 ** 31 - 1);
  const parent = growable(4 * INITIAL_PATHS, 4 * maxPaths);
  const kindNode = growable(INITIAL_PATHS, maxPaths);
  const op = growable(4 * INITIAL_PATHS, 4 * maxPaths);
  const journals = Array.from({ length: workers }, journalBuffers);
  const ports: MessagePort[] = [];
  for (let w = 0; w < workers; w++) {
    const { port1, port2 } = new MessageChannel();
    ports.push(port1);
    const input: WorkerInput = {
      protocol,
      bounds,
      symmetric,
      reduce,
      worker: w,
      workers,
      control: control.buffer as SharedArrayBuffer,
      stats: stats.buffer as SharedArrayBuffer,
      table,
      parent,
      kindNode,
      op,
      journals,
      port: port2,
    };
    new Worker(script, { workerData: input, transferList: [port2] }).unref();
  }

  const every = options.progressEvery ?? 50_000;
  let nextReport = every;
  let levelStates = 0;
  const found = () => {
    let q = 0;
    for (let w = 0; w < workers; w++) q += Atomics.load(control, CONTROL.found + w);
    return q;
  };
  const report = () => {
    const states = Atomics.load(control, CONTROL.states);
    if (options.onProgress === undefined || states < nextReport) return;
    nextReport = states + every;
    const elapsedMs = performance.now() - start;
    let transitions = 0;
    for (let w = 0; w < workers; w++) transitions += stats[STATS * w]!;
    options.onProgress({
      states,
      queue: levelStates - Atomics.load(control, CONTROL.expanded) + found(),
      transitions,
      depth: Atomics.load(control, CONTROL.depth),
      elapsedMs,
      statesPerSecond: states / Math.max(elapsedMs / 1000, 1e-6),
      collisionProbability: collisionProbability(states),
    });
  };
  const messages = (p: MessagePort): unknown[] => {
    const out: unknown[] = [];
    for (let m = receiveMessageOnPort(p); m !== undefined; m = receiveMessageOnPort(p)) {
      out.push(m.message);
    }
    return out;
  };
  const failures: string[] = [];

  // Level by level: wait for every worker, gather what they found, start the next level.
  for (let generation = 0; ; generation++) {
    while (Atomics.load(control, CONTROL.done) < workers) {
      Atomics.wait(control, CONTROL.done, Atomics.load(control, CONTROL.done), 200);
      report();
    }
    const chunks: Chunk[] = [];
    for (const p of ports) {
      for (const m of messages(p)) {
        if (typeof m === 'string') failures.push(m);
        else chunks.push(...(m as Chunk[]));
      }
    }
    levelStates = 0;
    for (const c of chunks) levelStates += c.states;
    const states = Atomics.load(control, CONTROL.states);
    if (Atomics.load(control, CONTROL.stop) === 0 && chunks.length === 0) {
      Atomics.store(control, CONTROL.stop, 1);
    }
    if (Atomics.load(control, CONTROL.stop) === 0 && states >= bounds.maxStates) {
      Atomics.store(control, CONTROL.end, END.cut);
      Atomics.store(control, CONTROL.stop, 1);
    }
    const level: LevelStart = { chunks };
    if (Atomics.load(control, CONTROL.stop) === 0) {
      const set = new SharedFingerprintSet(table, control.subarray(CONTROL.prints));
      if (set.size > GROW_AT * set.capacity) {
        table = regrow(table, control);
        level.table = table;
      }
      for (const p of ports) p.postMessage(level);
    }
    Atomics.store(control, CONTROL.claimed, 0);
    Atomics.store(control, CONTROL.expanded, 0);
    for (let w = 0; w < workers; w++) Atomics.store(control, CONTROL.found + w, 0);
    Atomics.store(control, CONTROL.done, 0);
    Atomics.store(control, CONTROL.generation, generation + 1);
    Atomics.notify(control, CONTROL.generation);
    if (Atomics.load(control, CONTROL.stop) === 1) break;
  }

  const end = Atomics.load(control, CONTROL.end);
  if (end === END.error) throw new Error(`a search thread failed: ${failures.join('; ')}`);
  const states = Atomics.load(control, CONTROL.states);
  // A violation's path, rebuilt here from the shared records.
  let violation: Violation | undefined;
  const succ = new Successors(model, ids, bounds, reduce);
  if (end === END.violation || end === END.deadlock) {
    const paths: PathStore = {
      parent: new Int32Array(parent),
      kindNode: new Uint8Array(kindNode),
      op: new Int32Array(op),
    };
    const at = Atomics.load(control, CONTROL.at);
    const reached = pathTo(succ, paths, at);
    const broken =
      end === END.deadlock
        ? { invariant: DEADLOCK, message: DEADLOCK_MESSAGE }
        : new InvariantChecks(succ, model as ProtocolModel, bounds.timed).check(
            reached.nodes,
            reached.msgs,
            reached.msgs.length,
            reached.faults,
          );
    if (broken === undefined) throw new Error(`state ${at} was reported broken but is not`);
    violation = { ...broken, steps: reached.steps };
  }
  let transitions = 0;
  let pruned = 0;
  let machineSteps = 0;
  for (let w = 0; w < workers; w++) {
    transitions += stats[STATS * w]!;
    pruned += stats[STATS * w + 1]!;
    machineSteps += stats[STATS * w + 2]!;
  }
  return searchResult(model, {
    bounds,
    states,
    transitions,
    pruned,
    depth: Atomics.load(control, CONTROL.depth),
    complete: end === END.none,
    machineSteps,
    symmetry: symmetric,
    reduced: succ.deadLetters,
    reductions: reductionsRun(settings, succ),
    workers,
    storeBytes: table.byteLength + 9 * states,
    ids,
    start,
    violation,
  });
}

/** A table twice the size holding the same fingerprints. */
function regrow(old: SharedArrayBuffer, control: Int32Array): SharedArrayBuffer {
  const from = new Int32Array(old);
  const buffer = new SharedArrayBuffer(2 * old.byteLength);
  const counter = new Int32Array(1);
  const set = new SharedFingerprintSet(buffer, counter);
  for (let i = 0; i < from.length; i += 2) {
    if (from[i + 1] !== 0) set.add(from[i]!, from[i + 1]!);
  }
  Atomics.store(control, CONTROL.prints, counter[0]!);
  return buffer;
}
