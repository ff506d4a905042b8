import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { clusterIds } from '../../machines/protocol-model.js';
import { InvariantChecks, initialFrontier, type PathStore, queueState } from './explorer.js';
import { FingerprintSet, IntQueue, SharedFingerprintSet } from './fingerprints.js';
import { CONTROL, END, STATS, type WorkerInput } from './parallel.js';
import { protocolModel } from './protocol-models.js';
import { Successors, type Visit } from './successors.js';
import { StateFingerprints } from './symmetry.js';

/**
 * One thread of the parallel search (see parallel.ts): the shared first levels, then its
 * part of each level, meeting the others at each level's end.
 */

/** States per worker in the frontier before the shared first levels end. */
const SPLIT_WIDTH = 512;

const input = workerData as WorkerInput;
const control = new Int32Array(input.control);

try {
  search(input);
} catch (err) {
  Atomics.compareExchange(control, CONTROL.end, END.none, END.error);
  Atomics.store(control, CONTROL.stop, 1);
  input.port.postMessage(err instanceof Error ? (err.stack ?? err.message) : String(err));
  Atomics.add(control, CONTROL.done, 1);
  Atomics.notify(control, CONTROL.done);
}
input.port.close();

function search(input: WorkerInput): void {
  const { bounds, worker, workers } = input;
  const model = protocolModel(input.protocol);
  if (model === undefined) throw new Error(`no model of protocol ${input.protocol}`);
  const stats = new Float64Array(input.stats);
  const succ = new Successors(model, clusterIds(model, bounds.nodes), bounds, input.reduce);
  const n = succ.ids.length;
  const prints = new StateFingerprints(succ.table, n, input.symmetric);
  const checks = new InvariantChecks(succ, model, bounds.timed);
  let shared = new SharedFingerprintSet(input.table, control.subarray(CONTROL.prints));
  const parentBuf = input.parent as GrowableBuffer;
  const kindBuf = input.kindNode as GrowableBuffer;
  const opBuf = input.op as GrowableBuffer;
  const paths: PathStore = {
    parent: new Int32Array(parentBuf),
    kindNode: new Uint8Array(kindBuf),
    op: new Int32Array(opBuf),
  };
  const ensure = (index: number) => {
    while (index >= paths.parent.length) {
      const size = Math.min(2 * paths.parent.length, parentBuf.maxByteLength / 4);
      if (size <= index) throw new RangeError('the path store is full');
      try {
        parentBuf.grow(4 * size);
        kindBuf.grow(size);
        opBuf.grow(4 * size);
      } catch {
        // Another thread grew them meanwhile.
      }
    }
  };
  const stop = () => Atomics.load(control, CONTROL.stop) === 1;
  const end = (why: number, at: number) => {
    if (Atomics.compareExchange(control, CONTROL.end, END.none, why) === END.none) {
      Atomics.store(control, CONTROL.at, at);
    }
    Atomics.store(control, CONTROL.stop, 1);
  };

  // The shared first levels: every thread runs them alike (so states get the same numbers);
  // thread 0 alone records them.
  const init = succ.initial();
  let queue = initialFrontier(init);
  let next = new IntQueue();
  let queued = 1;
  let nextQueued = 0;
  let depth = 0;
  let states = 1;
  let from = 0;
  let stopped = false;
  const local = new FingerprintSet();
  prints.of(init.nodes, init.msgs, init.msgs.length, 0);
  local.add(prints.hi, prints.lo);
  const first = checks.check(init.nodes, init.msgs, init.msgs.length, 0);
  if (worker === 0) {
    shared.add(prints.hi, prints.lo);
    paths.parent[0] = -1;
    Atomics.store(control, CONTROL.states, 1);
    if (first !== undefined) end(END.violation, 0);
  }
  stopped = first !== undefined;

  const keep = (index: number, ns: number[], ms: number[], count: number, spent: number) => {
    queueState(next, index, spent, ns, ms, count);
    nextQueued++;
  };
  const prefixVisit: Visit = (kind, node, op, ns, ms, count, spent) => {
    prints.of(ns, ms, count, spent);
    if (!local.add(prints.hi, prints.lo)) return false;
    const index = states++;
    if (worker === 0) {
      shared.add(prints.hi, prints.lo);
      ensure(index);
      paths.parent[index] = from;
      paths.kindNode[index] = (kind << 4) | node;
      paths.op[index] = op;
      Atomics.store(control, CONTROL.states, states);
      Atomics.store(control, CONTROL.depth, depth + 1);
    }
    keep(index, ns, ms, count, spent);
    if (checks.check(ns, ms, count, spent) === undefined) return false;
    if (worker === 0) end(END.violation, index);
    return true;
  };
  const nodes: number[] = new Array(n).fill(0);
  /** Reads the next state of `queue` into `nodes`; returns its messages and faults. */
  const pop = (): { msgs: number[]; faults: number } => {
    from = queue.shift();
    const faults = queue.shift();
    const count = queue.shift();
    for (let i = 0; i < n; i++) nodes[i] = queue.shift();
    const msgs: number[] = new Array(count);
    for (let i = 0; i < count; i++) msgs[i] = queue.shift();
    return { msgs, faults };
  };
  // Whole levels, until the next one is wide enough to split (or the space ends).
  for (;;) {
    if (stopped) break;
    if (queue.length === 0) {
      if (nextQueued === 0 || nextQueued >= SPLIT_WIDTH * workers) break;
      queue = next;
      queued = nextQueued;
      next = new IntQueue();
      nextQueued = 0;
      depth++;
    }
    if (states >= bounds.maxStates) {
      if (worker === 0) end(END.cut, 0);
      stopped = true;
      break;
    }
    const { msgs, faults } = pop();
    const progress = succ.expand(nodes, msgs, faults, prefixVisit);
    if (progress < 0) stopped = true;
    else if (progress === 0 && checks.deadlocked(nodes)) {
      if (worker === 0) end(END.deadlock, from);
      stopped = true;
    }
  }
  // Every W-th state of the next level is ours.
  const mine = new IntQueue();
  let mineQueued = 0;
  if (!stopped) {
    for (let k = 0; next.length > 0; k++) {
      const index = next.shift();
      const spent = next.shift();
      const count = next.shift();
      const ours = k % workers === worker;
      if (ours) {
        mine.push(index);
        mine.push(spent);
        mine.push(count);
        mineQueued++;
      }
      for (let j = 0; j < n + count; j++) {
        const x = next.shift();
        if (ours) mine.push(x);
      }
    }
    depth++;
    if (worker !== 0) {
      // Thread 0 alone counts the shared levels' steps.
      succ.transitions = 0;
      succ.pruned = 0;
    }
  }
  queue = mine;
  queued = mineQueued;
  next = new IntQueue();
  nextQueued = 0;
  Atomics.store(control, CONTROL.queues + worker, queued);

  // Each level: expand our part, then wait for the others and the main thread.
  let violationFound = false;
  const visit: Visit = (kind, node, op, ns, ms, count, spent) => {
    prints.of(ns, ms, count, spent);
    if (!shared.add(prints.hi, prints.lo)) return false;
    const index = Atomics.add(control, CONTROL.states, 1);
    ensure(index);
    paths.parent[index] = from;
    paths.kindNode[index] = (kind << 4) | node;
    paths.op[index] = op;
    keep(index, ns, ms, count, spent);
    if (checks.check(ns, ms, count, spent) === undefined) return false;
    end(END.violation, index);
    violationFound = true;
    return true;
  };
  const publish = () => {
    stats[STATS * worker] = succ.transitions;
    stats[STATS * worker + 1] = succ.pruned;
    stats[STATS * worker + 2] = succ.table.transitions;
  };
  for (;;) {
    publish();
    const generation = Atomics.load(control, CONTROL.generation);
    Atomics.add(control, CONTROL.done, 1);
    Atomics.notify(control, CONTROL.done);
    while (Atomics.load(control, CONTROL.generation) === generation) {
      Atomics.wait(control, CONTROL.generation, generation);
    }
    if (stop()) return;
    for (let m = receiveMessageOnPort(input.port); m !== undefined; ) {
      shared = new SharedFingerprintSet(m.message, control.subarray(CONTROL.prints));
      m = receiveMessageOnPort(input.port);
    }
    if (queue.length === 0) {
      queue = next;
      queued = nextQueued;
      next = new IntQueue();
      nextQueued = 0;
      depth++;
    }
    let expanded = 0;
    while (queue.length > 0) {
      if ((++expanded & 255) === 0) {
        Atomics.store(control, CONTROL.queues + worker, queued + nextQueued);
        if (stop()) break;
      }
      if (Atomics.load(control, CONTROL.states) >= bounds.maxStates) {
        end(END.cut, 0);
        break;
      }
      const { msgs, faults } = pop();
      queued--;
      const progress = succ.expand(nodes, msgs, faults, visit);
      if (violationFound) break;
      if (progress === 0 && checks.deadlocked(nodes)) {
        end(END.deadlock, from);
        break;
      }
    }
    if (nextQueued > 0) Atomics.store(control, CONTROL.depth, depth + 1);
    Atomics.store(control, CONTROL.queues + worker, queued + nextQueued);
  }
}

interface GrowableBuffer extends SharedArrayBuffer {
  grow(bytes: number): void;
  readonly maxByteLength: number;
}
