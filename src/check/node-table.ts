import { type AnyMachineSnapshot, createActor, type EventObject } from 'xstate';
import type { DurableState } from '../../machines/protocol-definition.js';
import type {
  CheckBounds,
  NodeView,
  PendingTimer,
  ProtocolModel,
  Rename,
} from '../../machines/protocol-model.js';
import { type LeaseState, leaseAfter, NO_LEASE } from '../runtime/lease-clock.js';
import { type MachineAction, NodeHost } from '../runtime/node-host.js';

/**
 * Every distinct state of every node, interned: a cluster state is then a handful of
 * numbers, and a node's next state depends only on its own state and the event, so each
 * (node state, event) pair runs through XState's `transition` once and is looked up after.
 */

export interface NodeRecord {
  id: number;
  /** The node's position in the cluster. */
  index: number;
  up: boolean;
  snapshot: AnyMachineSnapshot | undefined;
  timers: PendingTimer[];
  durable: DurableState | undefined;
  /** The lease in ticks from now, as the host's lease clock keeps it. */
  lease: LeaseState;
  ghost: unknown;
  withinBounds: boolean;
  key: string;
  view: NodeView;
  /** Outcomes of receiving each message (by id), filled as the search meets them. */
  received: Map<number, StepOutcome>;
  /** Outcomes of each pending timer firing. */
  fired: Map<PendingTimer, StepOutcome>;
  /** Timed mode: this state one tick later. */
  ticked?: number;
  /** A down state: the outcome of booting again. */
  restarted?: StepOutcome;
  /** Message id → whether it is obsolete for this receiver. */
  obsolete: Map<number, boolean>;
}

export interface StepOutcome {
  next: number;
  /** Messages sent, by interned id. */
  sends: number[];
}

export interface MessageRecord {
  id: number;
  /** Sender's position, or -1 for the environment. */
  from: number;
  to: number;
  msg: unknown;
  json: string;
}

export const ENVIRONMENT = 'env';

/** How a node state was first reached: the step, from which state, on what. */
export const ORIGIN = {
  /** A node's first boot; the operand is its position. */
  boot: 0,
  /** A restart of the down state `parent`. */
  restart: 1,
  /** A crash of `parent`. */
  down: 2,
  /** `parent` received the message numbered by the operand. */
  deliver: 3,
  /** `parent`'s timer at the operand's place in its list fired. */
  fire: 4,
  /** `parent` one tick later. */
  tick: 5,
} as const;

/**
 * Hears of every node state and message a table numbers, with how it was reached, so that
 * another thread's table can reach the same one (see table-journal.ts).
 */
export interface TableListener {
  node(id: number, origin: number, parent: number, operand: number): void;
  message(id: number, from: number, to: number, json: string): void;
}

type Action = MachineAction;

const identity: Rename = (id) => id;

export class NodeTable {
  readonly records: NodeRecord[] = [];
  readonly messages: MessageRecord[] = [];
  private byKey = new Map<string, number>();
  private messageByKey = new Map<string, number>();
  private indexOf = new Map<string, number>();
  /** Each node's fellow members, to whom a broadcast goes. */
  private readonly others: string[][];
  private boots = new Map<string, StepOutcome>();
  private scope: object | undefined;
  private recorded: Action[] = [];
  /** Calls into XState's `transition`, the cost the memo saves. */
  transitions = 0;
  /** Whether each step's ghost leaves out what no invariant reads again (`ghost.forget`). */
  readonly forgets: boolean;
  /** Told of each new node state and message (a thread of the parallel search sets it). */
  listener: TableListener | undefined;
  /** How the node state being computed was reached, for the listener. */
  private origin: [number, number, number] = [ORIGIN.boot, -1, 0];

  constructor(
    readonly model: ProtocolModel,
    readonly ids: readonly string[],
    readonly bounds: CheckBounds,
    reduce = false,
  ) {
    this.forgets = reduce && model.ghost?.forget !== undefined;
    ids.forEach((id, i) => {
      this.indexOf.set(id, i);
    });
    this.others = ids.map((self) => ids.filter((id) => id !== self));
  }

  /** The first state of the node at `index`, and what it sends on booting. */
  start(index: number): StepOutcome {
    this.origin = [ORIGIN.boot, -1, index];
    return this.boot(index, undefined, this.model.ghost?.initial);
  }

  /** A node's first state, or its state after a restart with what it kept on disk. */
  boot(index: number, durable: DurableState | undefined, ghost: unknown): StepOutcome {
    const memoKey = JSON.stringify([index, durable ?? null, ghost ?? null]);
    const known = this.boots.get(memoKey);
    if (known !== undefined) return known;
    const out = this.bootFresh(index, durable, ghost);
    this.boots.set(memoKey, out);
    return out;
  }

  private bootFresh(index: number, durable: DurableState | undefined, ghost: unknown): StepOutcome {
    const id = this.ids[index]!;
    const input = this.model.input({
      id,
      ids: this.ids,
      persisted: durable,
      timed: this.bounds.timed,
    });
    const [snapshot, actions] = this.pure(input, (logic, scope) =>
      logic.getInitialSnapshot(scope, input),
    );
    return this.settle(
      index,
      snapshot,
      [],
      durable,
      NO_LEASE,
      ghost,
      actions as Action[],
      undefined,
    );
  }

  /** The down node `rec` boots again with what it kept on disk. */
  restart(rec: NodeRecord): StepOutcome {
    const known = rec.restarted;
    if (known !== undefined) return known;
    this.origin = [ORIGIN.restart, rec.id, 0];
    const out = this.boot(rec.index, rec.durable, rec.ghost);
    rec.restarted = out;
    return out;
  }

  /** The node crashes: it keeps what it wrote to disk (and its ghost). */
  down(rec: NodeRecord): number {
    this.origin = [ORIGIN.down, rec.id, 0];
    return this.intern({
      index: rec.index,
      up: false,
      snapshot: undefined,
      timers: [],
      durable: rec.durable,
      lease: NO_LEASE,
      ghost: rec.ghost,
    });
  }

  /** The node receives a message (one to a node that is down is simply lost). */
  deliver(rec: NodeRecord, msg: MessageRecord): StepOutcome {
    const known = rec.received.get(msg.id);
    if (known !== undefined) return known;
    let out: StepOutcome;
    if (!rec.up || rec.snapshot === undefined) {
      out = { next: rec.id, sends: [] };
    } else {
      this.origin = [ORIGIN.deliver, rec.id, msg.id];
      const from = msg.from < 0 ? ENVIRONMENT : this.ids[msg.from]!;
      const event = { type: 'receive', from, msg: msg.msg } as EventObject;
      out = this.run(rec, rec.timers, event, msg.msg);
    }
    rec.received.set(msg.id, out);
    return out;
  }

  fire(rec: NodeRecord, timer: PendingTimer): StepOutcome {
    const known = rec.fired.get(timer);
    if (known !== undefined) return known;
    this.origin = [ORIGIN.fire, rec.id, rec.timers.indexOf(timer)];
    const rest = rec.timers.filter((t) => t !== timer);
    const out = this.run(rec, rest, timer.event, undefined);
    rec.fired.set(timer, out);
    return out;
  }

  /** Timed mode: every timer and the lease move one tick closer. */
  tick(rec: NodeRecord): number {
    if (rec.ticked !== undefined) return rec.ticked;
    this.origin = [ORIGIN.tick, rec.id, 0];
    const timers = rec.timers.map((t) => ({ ...t, remaining: t.remaining - 1 }));
    const next = this.intern({ ...rec, timers, lease: leaseAfter(rec.lease, 1) });
    rec.ticked = next;
    return next;
  }

  /** Whether `msg`, addressed to the node in state `rec`, can never matter again. */
  isObsolete(rec: NodeRecord, msg: number): boolean {
    const check = this.model.obsolete;
    if (check === undefined) return false;
    let known = rec.obsolete.get(msg);
    if (known === undefined) {
      known = check(this.messages[msg]!.msg as never, rec);
      rec.obsolete.set(msg, known);
    }
    return known;
  }

  message(from: number, to: number, msg: unknown): number {
    const json = JSON.stringify(msg);
    const key = `${from}>${to}:${json}`;
    const known = this.messageByKey.get(key);
    if (known !== undefined) return known;
    const id = this.messages.length;
    this.messages.push({ id, from, to, msg, json });
    this.messageByKey.set(key, id);
    this.listener?.message(id, from, to, json);
    return id;
  }

  /** A message's canonical text with node ids renamed (for symmetry reduction). */
  messageKey(msg: MessageRecord, perm: readonly number[]): string {
    const from = msg.from < 0 ? -1 : perm[msg.from]!;
    return `${from}>${perm[msg.to]}:${msg.json}`;
  }

  /** A node state's canonical text with ids renamed; its position is left to the caller. */
  nodeKey(rec: NodeRecord, rename: Rename): string {
    const { model, bounds } = this;
    const timers = rec.timers.map((t) => (bounds.timed ? `${t.id}@${t.remaining}` : t.id));
    const ghost =
      model.ghost?.rename === undefined
        ? rec.ghost
        : model.ghost.rename(rec.ghost as never, rename);
    const durable =
      rec.durable === undefined
        ? null
        : [rec.durable.term, rec.durable.votedFor === null ? null : rename(rec.durable.votedFor)];
    if (!rec.up || rec.snapshot === undefined) {
      return JSON.stringify([0, durable, ghost]);
    }
    const snap = rec.snapshot;
    const abstract =
      model.abstract === undefined
        ? [snap.value, snap.context]
        : model.abstract(snap as never, rename, bounds.timed);
    const lease = bounds.timed && model.leased ? [rec.lease.remaining, rec.lease.starts] : 0;
    return JSON.stringify([1, abstract, timers, durable, ghost, lease]);
  }

  private run(
    rec: NodeRecord,
    timers: PendingTimer[],
    event: EventObject,
    received: unknown,
  ): StepOutcome {
    const [snapshot, actions] = this.pure(undefined, (logic, scope) =>
      logic.transition(rec.snapshot!, event, scope),
    );
    return this.settle(
      rec.index,
      snapshot,
      timers,
      rec.durable,
      rec.lease,
      rec.ghost,
      actions as Action[],
      received,
    );
  }

  /**
   * What XState's `initialTransition` and `transition` do, minus their cost: each of those
   * builds a throwaway actor (running the machine's context factory without input) to get
   * an inert scope whose action executor only records. Here that scope is built once, from
   * a real input, and reused; actions are recorded, never executed.
   */
  private pure(
    input: unknown,
    // biome-ignore lint/suspicious/noExplicitAny: XState's machine and scope types, untyped here
    run: (logic: any, scope: any) => AnyMachineSnapshot,
  ): [AnyMachineSnapshot, Action[]] {
    this.transitions++;
    if (this.scope === undefined) {
      const self = createActor(this.model.logic, { input });
      this.scope = {
        self,
        defer: () => {},
        id: '',
        logger: () => {},
        sessionId: '',
        stopChild: () => {},
        system: self.system,
        emit: () => {},
        actionExecutor: (action: Action) => {
          this.recorded.push(action);
        },
      };
    }
    this.recorded = [];
    const snapshot = run(this.model.logic, this.scope);
    return [snapshot, this.recorded];
  }

  /**
   * Applies what the machine asked for through the host the runtime and the simulator use:
   * timers, messages, disk and lease, on a clock that reads 0 now.
   */
  private settle(
    index: number,
    snapshot: AnyMachineSnapshot,
    timersBefore: PendingTimer[],
    durableBefore: DurableState | undefined,
    leaseBefore: LeaseState,
    ghostBefore: unknown,
    actions: Action[],
    received: unknown,
  ): StepOutcome {
    let timers = timersBefore;
    const sends: number[] = [];
    // Untimed, no clock runs: a lease would only tell states apart that behave alike.
    const leased = this.bounds.timed && this.model.leased === true;
    const host = new NodeHost(
      {
        now: () => 0,
        others: this.others[index]!,
        durable: durableBefore,
        lease: leased ? leaseBefore : NO_LEASE,
      },
      {
        send: (to, msg) => {
          const at = this.indexOf.get(to);
          if (at !== undefined) sends.push(this.message(index, at, msg));
        },
        // Machines cancel before they re-arm, and XState cancels `after` timers when a
        // state is left; a timer armed again under its id replaces the old one.
        setTimer: (id, event, delayMs) => {
          timers = timers.filter((t) => t.id !== id);
          timers.push({ id, event, remaining: Math.ceil(delayMs) });
        },
        cancelTimer: (id) => {
          timers = timers.filter((t) => t.id !== id);
        },
      },
    );
    host.step(actions);
    timers.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const rules = this.model.ghost;
    let ghost =
      rules === undefined
        ? undefined
        : rules.update(ghostBefore as never, snapshot as never, received);
    if (this.forgets) ghost = rules!.forget!(ghost as never, snapshot as never);
    const lease = leased ? host.lease.state() : NO_LEASE;
    const next = this.intern({
      index,
      up: true,
      snapshot,
      timers,
      durable: host.durable,
      lease,
      ghost,
    });
    return { next, sends };
  }

  private intern(
    r: Pick<NodeRecord, 'index' | 'up' | 'snapshot' | 'timers' | 'durable' | 'lease' | 'ghost'>,
  ): number {
    const partial = r as NodeRecord;
    const key = `${r.index}:${this.nodeKey(partial, identity)}`;
    const known = this.byKey.get(key);
    if (known !== undefined) return known;
    const id = this.records.length;
    const view = this.viewOf(r);
    const withinBounds =
      !r.up ||
      this.model.withinBounds === undefined ||
      this.model.withinBounds(r.snapshot as never, this.bounds);
    this.records.push({
      id,
      index: r.index,
      up: r.up,
      snapshot: r.snapshot,
      timers: r.timers,
      durable: r.durable,
      lease: r.lease,
      ghost: r.ghost,
      withinBounds,
      key,
      view,
      received: new Map(),
      fired: new Map(),
      obsolete: new Map(),
    });
    this.byKey.set(key, id);
    this.listener?.node(id, this.origin[0], this.origin[1], this.origin[2]);
    return id;
  }

  private viewOf(
    r: Pick<NodeRecord, 'index' | 'up' | 'snapshot' | 'lease' | 'ghost' | 'durable'>,
  ): NodeView {
    const id = this.ids[r.index]!;
    if (!r.up || r.snapshot === undefined) {
      return {
        id,
        up: false,
        snapshot: undefined,
        role: 'follower',
        leader: null,
        term: r.durable?.term,
        leaseValid: false,
        ghost: r.ghost,
      };
    }
    const v = this.model.view(r.snapshot as never);
    return {
      id,
      up: true,
      snapshot: r.snapshot,
      role: v.role,
      leader: v.leader,
      term: v.term,
      leaseValid: v.role === 'leader' && r.lease.remaining > 0,
      ghost: r.ghost,
    };
  }
}
