import type {
  CheckBounds,
  ClusterView,
  FaultKinds,
  InFlightView,
  ProtocolModel,
} from '../../machines/protocol-model.js';
import { hashText, SEED_HI } from './fingerprints.js';
import { ENVIRONMENT, NodeTable, type StepOutcome } from './node-table.js';
import type { CheckStep } from './steps.js';

/**
 * Every step the world can take from one cluster state: deliver, lose or copy a message in
 * flight, fire a pending timer, crash or restart a node, and (timed) advance the clock.
 * The single-threaded search and each thread of the parallel one expand states through
 * this one class, so they agree step for step.
 *
 * A state is its nodes (interned node states, by position), the messages in flight
 * (interned, sorted, a multiset) and the faults spent. A step is named by its kind, a node
 * and a 32-bit hash of what it acts on (the message's text, or the timer's id and event),
 * so that a path recorded by one thread can be followed by another, whose tables number
 * messages differently.
 */

/** Step kinds, as paths record them. */
export const DELIVER = 0;
export const DROP = 1;
export const DUPLICATE = 2;
export const TIMER = 3;
export const CRASH = 4;
export const RESTART = 5;
export const TICK = 6;
const MESSAGE_KINDS = ['deliver', 'drop', 'duplicate'] as const;

const ALL_FAULTS: FaultKinds = { drop: true, duplicate: true, crash: true };

/**
 * Receives each successor: the step (kind, node, operand hash) and the new state in scratch
 * buffers that the next successor overwrites. Returns true to stop the expansion.
 */
export type Visit = (
  kind: number,
  node: number,
  op: number,
  nodes: number[],
  msgs: number[],
  count: number,
  spent: number,
) => boolean;

/** The successors of cluster states, and the steps of recorded paths, for one search thread. */
export class Successors {
  readonly table: NodeTable;
  readonly faults: FaultKinds;
  /**
   * Whether messages to a node that is down for good leave the network at once (see
   * `dropDeadLetters`): only when every invariant reads node states alone.
   */
  readonly deadLetters: boolean;
  /** Steps that went past a bound. */
  pruned = 0;
  /** Successors generated (including those past a bound). */
  transitions = 0;
  private readonly nodeBuf: number[];
  private msgBuf: number[] = [];
  private readonly msgOp: number[] = [];
  private readonly timerOp = new Map<object, number>();

  constructor(
    readonly model: ProtocolModel,
    readonly ids: readonly string[],
    readonly bounds: CheckBounds,
    reduce: boolean,
  ) {
    this.table = new NodeTable(model, ids, bounds, reduce);
    this.faults = { ...ALL_FAULTS, ...model.faults };
    this.nodeBuf = new Array(ids.length).fill(0);
    const invariants = model.invariants.filter((inv) => bounds.timed || inv.timedOnly !== true);
    this.deadLetters = reduce && invariants.every((inv) => inv.nodesOnly === true);
  }

  /** The initial state: every node booted, the environment's messages in flight. */
  initial(): { nodes: number[]; msgs: number[] } {
    const { table, model, ids, bounds } = this;
    const nodes: number[] = [];
    const msgs: number[] = [];
    for (let i = 0; i < ids.length; i++) {
      const out = table.start(i);
      nodes.push(out.next);
      msgs.push(...out.sends);
    }
    for (const e of model.environment?.(ids, bounds) ?? []) {
      msgs.push(table.message(-1, ids.indexOf(e.to), e.msg));
    }
    return { nodes, msgs: msgs.sort((a, b) => a - b) };
  }

  /** The 32-bit hash that names a message in a recorded step. */
  messageOp(m: number): number {
    let op = this.msgOp[m];
    if (op === undefined) {
      const r = this.table.messages[m]!;
      op = hashText(`${r.from}>${r.to}:${r.json}`, SEED_HI);
      this.msgOp[m] = op;
    }
    return op;
  }

  private timerOpOf(timer: { id: string; event: { type: string } }): number {
    let op = this.timerOp.get(timer);
    if (op === undefined) {
      op = hashText(`${timer.id}\u0000${timer.event.type}`, SEED_HI);
      this.timerOp.set(timer, op);
    }
    return op;
  }

  /**
   * Calls `visit` with every successor of the state; returns the number of steps other than
   * faults (0 means the cluster is stuck unless a fault happens), or -1 if `visit` stopped it.
   */
  expand(nodes: readonly number[], msgs: readonly number[], faults: number, visit: Visit): number {
    const { table, bounds } = this;
    const canFault = faults < bounds.maxFaults;
    const n = nodes.length;
    let progress = 0;

    // Messages: deliver, drop or duplicate any one of them (each distinct one once).
    for (let i = 0; i < msgs.length; i++) {
      const m = msgs[i]!;
      if (i > 0 && msgs[i - 1] === m) continue;
      const msg = table.messages[m]!;
      const out = table.deliver(table.records[nodes[msg.to]!]!, msg);
      progress++;
      if (this.inBounds(out)) {
        const count = this.compose(nodes, msg.to, out.next, msgs, i, -1, out.sends);
        if (this.emit(visit, DELIVER, msg.to, this.messageOp(m), count, faults)) return -1;
      }
      if (!canFault) continue;
      if (this.faults.drop) {
        const count = this.compose(nodes, -1, 0, msgs, i, -1, NONE);
        if (this.emit(visit, DROP, msg.to, this.messageOp(m), count, faults + 1)) return -1;
      }
      if (this.faults.duplicate) {
        if (msgs.length + 1 <= bounds.maxInFlight) {
          const count = this.compose(nodes, -1, 0, msgs, -1, m, NONE);
          if (this.emit(visit, DUPLICATE, msg.to, this.messageOp(m), count, faults + 1)) return -1;
        } else this.pruned++;
      }
    }

    // Timers: untimed, any may fire now; timed, those within the drift of their deadline.
    let clockMayAdvance = true;
    for (let a = 0; a < n; a++) {
      const rec = table.records[nodes[a]!]!;
      if (!rec.up) continue;
      for (const timer of rec.timers) {
        if (bounds.timed) {
          if (timer.remaining - 1 < -bounds.drift) clockMayAdvance = false;
          if (timer.remaining > bounds.drift) continue;
        }
        const out = table.fire(rec, timer);
        progress++;
        if (!this.inBounds(out)) continue;
        const count = this.compose(nodes, a, out.next, msgs, -1, -1, out.sends);
        if (this.emit(visit, TIMER, a, this.timerOpOf(timer), count, faults)) return -1;
      }
    }

    // Crashes and restarts.
    if (canFault && this.faults.crash) {
      for (let a = 0; a < n; a++) {
        const rec = table.records[nodes[a]!]!;
        let out: StepOutcome;
        if (rec.up) out = { next: table.down(rec), sends: [] };
        else out = table.restart(rec);
        if (!this.inBounds(out)) continue;
        const count = this.compose(nodes, a, out.next, msgs, -1, -1, out.sends);
        if (this.emit(visit, rec.up ? CRASH : RESTART, a, 0, count, faults + 1)) return -1;
      }
    }

    // Timed mode: the clock moves on once the network is empty (every message arrives, or
    // is lost, within the tick it was sent in) unless a timer would pass its latest time.
    if (bounds.timed && clockMayAdvance && msgs.length === 0) {
      const buf = this.nodeBuf;
      let moved = false;
      for (let a = 0; a < n; a++) {
        const rec = table.records[nodes[a]!]!;
        buf[a] = rec.up ? table.tick(rec) : nodes[a]!;
        if (buf[a] !== nodes[a]) moved = true;
      }
      if (moved) progress++;
      if (this.emit(visit, TICK, 0, 0, 0, faults)) return -1;
    }
    return progress;
  }

  private emit(visit: Visit, kind: number, node: number, op: number, count: number, spent: number) {
    this.transitions++;
    if (count > this.bounds.maxInFlight) {
      this.pruned++;
      return false;
    }
    if (this.deadLetters && spent >= this.bounds.maxFaults) count = this.dropDeadLetters(count);
    return visit(kind, node, op, this.nodeBuf, this.msgBuf, count, spent);
  }

  private inBounds(outcome: StepOutcome): boolean {
    if (!this.table.records[outcome.next]!.withinBounds) {
      this.pruned++;
      return false;
    }
    return true;
  }

  /**
   * Writes the successor into the scratch buffers: node `at` (if not -1) becomes `rec`; the
   * messages lose the copy at `skip`, gain `extra` and then `sends`, sorted. A message
   * already in flight `maxCopies` times absorbs an identical send: the network delivers
   * that many at most (a duplicate fault can still add one more). Obsolete messages then
   * leave (`live`). Returns the number of messages.
   */
  private compose(
    nodes: readonly number[],
    at: number,
    rec: number,
    msgs: readonly number[],
    skip: number,
    extra: number,
    sends: readonly number[],
  ): number {
    const buf = this.nodeBuf;
    for (let i = 0; i < nodes.length; i++) buf[i] = nodes[i]!;
    if (at >= 0) buf[at] = rec;
    const out = this.msgBuf;
    let count = 0;
    for (let i = 0; i < msgs.length; i++) if (i !== skip) out[count++] = msgs[i]!;
    if (extra >= 0) count = insert(out, count, extra);
    for (const m of sends) {
      let copies = 0;
      for (let i = 0; i < count; i++) if (out[i] === m) copies++;
      if (copies < this.bounds.maxCopies) count = insert(out, count, m);
    }
    return this.live(buf, out, count);
  }

  /**
   * Drops the messages the receiver has left behind for good (see `model.obsolete`), keeping
   * the order; returns the new count.
   */
  private live(nodes: readonly number[], msgs: number[], count: number): number {
    if (this.model.obsolete === undefined) return count;
    const { table } = this;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const m = msgs[i]!;
      if (!table.isObsolete(table.records[nodes[table.messages[m]!.to]!]!, m)) msgs[kept++] = m;
    }
    return kept;
  }

  /**
   * The dead-letter reduction: with no fault left, a node that is down stays down, so a
   * message to it can only ever be received as a no-op. Such a message leaves the network
   * as soon as the step that sent it is found within the bounds (it counts toward
   * `maxInFlight` until then, as it would in the exact search).
   *
   * Why no violation is hidden: it applies only when every invariant reads node states
   * alone. Write r(s) for a state s without its dead letters. Delivering a dead letter is
   * always possible, changes no node and lowers the count in flight, so r(s) is reachable
   * from s in the exact search: every reduced state is an exact one. Conversely, any exact
   * step from s to s' can be taken from r(s) (the receiver and the fault budget are the
   * same, and the count in flight is no higher, copy by copy, so no bound stops it) and
   * leads to r(s'), or is the delivery of a dead letter and r(s') = r(s): by induction on
   * the path, for every exact state s the reduced search reaches r(s),
   * whose nodes, and so whose invariant verdicts, are those of s. A state with nothing
   * left to do has nothing in flight, so deadlocks are the same states in both.
   */
  private dropDeadLetters(count: number): number {
    const { table } = this;
    const nodes = this.nodeBuf;
    const msgs = this.msgBuf;
    let kept = 0;
    for (let i = 0; i < count; i++) {
      const m = msgs[i]!;
      if (table.records[nodes[table.messages[m]!.to]!]!.up) msgs[kept++] = m;
    }
    return kept;
  }

  /** The successor reached by the recorded step, or undefined if there is none. */
  follow(
    nodes: readonly number[],
    msgs: readonly number[],
    faults: number,
    kind: number,
    node: number,
    op: number,
  ): { nodes: number[]; msgs: number[]; faults: number } | undefined {
    let found: { nodes: number[]; msgs: number[]; faults: number } | undefined;
    const { pruned, transitions } = this;
    this.expand(nodes, msgs, faults, (k, a, o, ns, ms, count, spent) => {
      if (k !== kind || a !== node || o !== op) return false;
      found = { nodes: ns.slice(), msgs: ms.slice(0, count), faults: spent };
      return true;
    });
    this.pruned = pruned;
    this.transitions = transitions;
    return found;
  }

  /** A recorded step in words, for a counterexample; `msgs` are the state's it left. */
  step(
    nodes: readonly number[],
    msgs: readonly number[],
    kind: number,
    node: number,
    op: number,
  ): CheckStep {
    const { table, ids } = this;
    switch (kind) {
      case DELIVER:
      case DROP:
      case DUPLICATE: {
        const m = msgs.find((x) => this.messageOp(x) === op)!;
        const r = table.messages[m]!;
        const from = r.from < 0 ? ENVIRONMENT : ids[r.from]!;
        return { kind: MESSAGE_KINDS[kind]!, from, to: ids[r.to]!, msg: r.msg };
      }
      case TIMER: {
        const t = table.records[nodes[node]!]!.timers.find((x) => this.timerOpOf(x) === op)!;
        return { kind: 'timer', node: ids[node]!, timer: t.id, event: t.event.type };
      }
      case CRASH:
        return { kind: 'crash', node: ids[node]! };
      case RESTART:
        return { kind: 'restart', node: ids[node]! };
      default:
        return { kind: 'tick' };
    }
  }

  /** The state as invariants see it. */
  view(nodes: readonly number[], msgs: readonly number[], faults: number): ClusterView {
    const { table, ids, bounds } = this;
    return {
      nodes: nodes.map((n) => table.records[n]!.view),
      get inFlight(): InFlightView[] {
        return msgs.map((m) => {
          const r = table.messages[m]!;
          return { from: r.from < 0 ? ENVIRONMENT : ids[r.from]!, to: ids[r.to]!, msg: r.msg };
        });
      },
      faultsLeft: bounds.maxFaults - faults,
      timed: bounds.timed,
    };
  }
}

const NONE: readonly number[] = [];

/** Inserts `m` into the sorted first `count` entries of `out`; returns the new count. */
function insert(out: number[], count: number, m: number): number {
  let at = count;
  while (at > 0 && out[at - 1]! > m) {
    out[at] = out[at - 1]!;
    at--;
  }
  out[at] = m;
  return count + 1;
}
