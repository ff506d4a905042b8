import { receiveMessageOnPort, workerData } from 'node:worker_threads';
import { clusterIds } from '../../machines/protocol-model.js';
import { InvariantChecks, type PathStore } from './explorer.js';
import { SharedFingerprintSet } from './fingerprints.js';
import { ChunkWriter } from './frontier-chunks.js';
import { CONTROL, END, type LevelStart, STATS, type WorkerInput } from './parallel.js';
import { protocolModel } from './protocol-models.js';
import { type GrowableBuffer, reserve } from './shared-buffers.js';
import { Successors, type Visit } from './successors.js';
import { StateFingerprints } from './symmetry.js';
import { JournalReader, JournalWriter } from './table-journal.js';

/**
 * One thread of the parallel search (see parallel.ts): at each level, it claims chunks of
 * the level's states until none is left, expands them, and meets the others at the end.
 */

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
  const { bounds, worker } = input;
  const model = protocolModel(input.protocol);
  if (model === undefined) throw new Error(`no model of protocol ${input.protocol}`);
  const stats = new Float64Array(input.stats);
  const succ = new Successors(model, clusterIds(model, bounds.nodes), bounds, input.reduce);
  const n = succ.ids.length;
  succ.table.listener = new JournalWriter(input.journals[worker]!);
  const theirs = new JournalReader(succ.table, input.journals, worker);
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
  // Threads grow the path store together: whoever finds it short grows it, and a thread
  // that finds it grown meanwhile by another goes on.
  const ensure = (index: number) => {
    while (index >= paths.parent.length) {
      const size = Math.min(2 * paths.parent.length, parentBuf.maxByteLength / 4);
      if (size <= index) throw new RangeError('the path store is full');
      try {
        reserve(parentBuf, 4 * size);
        reserve(kindBuf, size);
        reserve(opBuf, 4 * size);
      } catch {
        // Another thread grew them meanwhile.
      }
    }
  };
  const end = (why: number, at: number) => {
    if (Atomics.compareExchange(control, CONTROL.end, END.none, why) === END.none) {
      Atomics.store(control, CONTROL.at, at);
    }
    Atomics.store(control, CONTROL.stop, 1);
  };
  const out = new ChunkWriter(worker);

  // Thread 0 starts the search: the initial state, numbered 0, is the first level.
  if (worker === 0) {
    const init = succ.initial();
    prints.of(init.nodes, init.msgs, init.msgs.length, 0);
    shared.add(prints.hi, prints.lo);
    paths.parent[0] = -1;
    Atomics.store(control, CONTROL.states, 1);
    out.push(0, 0, init.nodes, init.msgs, init.msgs.length);
    if (checks.check(init.nodes, init.msgs, init.msgs.length, 0) !== undefined) {
      end(END.violation, 0);
    }
  }

  let depth = -1;
  let from = 0;
  let violationFound = false;
  const visit: Visit = (kind, node, op, ns, ms, count, spent) => {
    prints.of(ns, ms, count, spent);
    if (!shared.add(prints.hi, prints.lo)) return false;
    const index = Atomics.add(control, CONTROL.states, 1);
    ensure(index);
    paths.parent[index] = from;
    paths.kindNode[index] = (kind << 4) | node;
    paths.op[index] = op;
    out.push(index, spent, ns, ms, count);
    if ((out.states & 255) === 0) Atomics.store(control, CONTROL.found + worker, out.states);
    if (checks.check(ns, ms, count, spent) === undefined) return false;
    end(END.violation, index);
    violationFound = true;
    return true;
  };
  const nodes: number[] = new Array(n).fill(0);
  let msgs: number[] = [];

  // Each level: hand in what we found, wait for the others and the main thread, then
  // claim and expand chunks of the new level until none is left.
  for (;;) {
    stats[STATS * worker] = succ.transitions;
    stats[STATS * worker + 1] = succ.pruned;
    stats[STATS * worker + 2] = succ.table.transitions;
    if (out.states > 0) Atomics.store(control, CONTROL.depth, depth + 1);
    input.port.postMessage(out.take());
    const generation = Atomics.load(control, CONTROL.generation);
    Atomics.add(control, CONTROL.done, 1);
    Atomics.notify(control, CONTROL.done);
    while (Atomics.load(control, CONTROL.generation) === generation) {
      Atomics.wait(control, CONTROL.generation, generation);
    }
    if (Atomics.load(control, CONTROL.stop) === 1) return;
    const m = receiveMessageOnPort(input.port);
    if (m === undefined) throw new Error('a level started without its states');
    const level = m.message as LevelStart;
    if (level.table !== undefined) {
      shared = new SharedFingerprintSet(level.table, control.subarray(CONTROL.prints));
    }
    depth++;
    for (;;) {
      const claim = Atomics.add(control, CONTROL.claimed, 1);
      if (claim >= level.chunks.length) break;
      const chunk = level.chunks[claim]!;
      const words = new Int32Array(chunk.buffer, 0, chunk.used);
      const thread = chunk.thread;
      let at = 0;
      while (at < words.length) {
        if (Atomics.load(control, CONTROL.stop) === 1) break;
        if (Atomics.load(control, CONTROL.states) >= bounds.maxStates) {
          end(END.cut, 0);
          break;
        }
        from = words[at]!;
        const faults = words[at + 1]!;
        const count = words[at + 2]!;
        at += 3;
        for (let i = 0; i < n; i++) nodes[i] = theirs.node(thread, words[at++]!);
        msgs = new Array(count);
        for (let i = 0; i < count; i++) msgs[i] = theirs.message(thread, words[at++]!);
        msgs.sort((a, b) => a - b);
        const progress = succ.expand(nodes, msgs, faults, visit);
        if (violationFound) break;
        if (progress === 0 && checks.deadlocked(nodes)) {
          end(END.deadlock, from);
          break;
        }
      }
      Atomics.add(control, CONTROL.expanded, chunk.states);
      if (Atomics.load(control, CONTROL.stop) === 1) break;
    }
    Atomics.store(control, CONTROL.found + worker, out.states);
  }
}
