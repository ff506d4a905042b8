import { type AnyActorRef, createActor } from 'xstate';
import type {
  DurableState,
  MemberSpec,
  ProtocolDefinition,
} from '../../machines/protocol-definition.js';
import type { ProtocolEmitted, Role } from '../../machines/protocol-events.js';
import type { ProtocolView } from '../../machines/protocol-view.js';
import { type RaftOptions, raftProtocol } from '../../machines/raft/definition.js';
import { NodeHost } from '../runtime/node-host.js';
import { EventQueue } from './event-queue.js';
import { type NetworkFaults, NetworkModel } from './network-model.js';
import { SeededGenerator } from './seeded-generator.js';
import { Trace } from './trace.js';
import { VirtualClock } from './virtual-clock.js';

/** Options of `new Simulation(...)`. */
export interface SimulationOptions<TOptions = RaftOptions> {
  /** A node count (ids n1…nN) or the members themselves. */
  nodes: number | MemberSpec[];
  seed: number;
  // biome-ignore lint/suspicious/noExplicitAny: any protocol's machine fits here
  protocol?: ProtocolDefinition<TOptions, any>;
  /** Protocol options shared by every node (timing and the like). */
  options?: TOptions;
  network?: Partial<NetworkFaults>;
  /** Entries kept in the trace ring (default 2000; 0 turns tracing off). */
  traceLimit?: number;
  /**
   * Nothing happens by itself: messages wait in flight and timers wait until a step
   * (`deliver`, `drop`, `duplicate`, `fire`, `run`) says otherwise. For replaying a path
   * found by the model checker, one explicit step at a time.
   */
  manual?: boolean;
}

/** A message held in flight by a manual simulation. */
export interface HeldMessage {
  from: string;
  to: string;
  msg: unknown;
}

/** One node of a simulation as `node(id)` and `states()` report it. */
export interface SimNodeState extends ProtocolView {
  id: string;
  up: boolean;
  frozen: boolean;
  /** Holds a valid lease at this virtual instant. */
  isLeader: boolean;
}

/** Thrown when an invariant fails; carries the seed that replays the run and the trace. */
export class SafetyViolation extends Error {
  constructor(
    message: string,
    readonly seed: number,
    readonly trace: string,
  ) {
    super(`${message} (seed ${seed})\n${trace}`);
  }
}

interface SimNode {
  spec: MemberSpec;
  actor: AnyActorRef | undefined;
  clock: VirtualClock | undefined;
  /** Carries out what this incarnation's machine emits (a new one at each boot). */
  host: NodeHost | undefined;
  durable: DurableState | undefined;
  frozenUntil: number;
  /** Work that came due while frozen, run in order at thaw. */
  held: (() => void)[];
  incarnation: number;
}

/**
 * A cluster in virtual time. Every node is a real XState actor of the protocol machine
 * whose clock is this simulation's; messages, faults and timers all sit in one event queue
 * ordered by (time, insertion), and every random choice comes from one seeded generator,
 * so a seed replays the same run, event for event.
 */
export class Simulation<TOptions = RaftOptions> {
  readonly seed: number;
  readonly network: NetworkModel;
  readonly trace: Trace;
  readonly stats = { sent: 0, delivered: 0, lost: 0, duplicated: 0, events: 0 };
  private queue = new EventQueue();
  private rng: SeededGenerator;
  private time = 0;
  private nodes = new Map<string, SimNode>();
  private members: MemberSpec[];
  // biome-ignore lint/suspicious/noExplicitAny: see SimulationOptions.protocol
  private protocol: ProtocolDefinition<TOptions, any>;
  private options: TOptions;
  private checks: ((sim: Simulation<TOptions>) => string | undefined)[] = [];
  private leadersByTerm = new Map<number, string>();
  /** Whether a second leader of a term counts as a violation (set by checkSafety). */
  private watchTerms = false;
  /**
   * A violation noticed inside a machine's emit listener. Thrown there, XState would catch it
   * and rethrow it on a later macrotask while the run went on, so it waits for the event's end.
   */
  private pendingViolation: string | undefined;
  private readonly manual: boolean;
  /** Manual mode: timers are parked here, where no clock ever reaches them. */
  private readonly parked = new EventQueue();
  private manualInFlight: HeldMessage[] = [];

  constructor(options: SimulationOptions<TOptions>) {
    this.seed = options.seed;
    this.manual = options.manual === true;
    this.rng = new SeededGenerator(options.seed);
    this.network = new NetworkModel(options.network);
    this.trace = new Trace(options.traceLimit ?? 2000);
    // biome-ignore lint/suspicious/noExplicitAny: the default protocol is Raft
    this.protocol = options.protocol ?? (raftProtocol as any);
    this.options = options.options ?? ({} as TOptions);
    this.members =
      typeof options.nodes === 'number'
        ? Array.from({ length: options.nodes }, (_, i) => ({ id: `n${i + 1}` }))
        : options.nodes;
    for (const spec of this.members) {
      const node: SimNode = {
        spec,
        actor: undefined,
        clock: undefined,
        host: undefined,
        durable: undefined,
        frozenUntil: 0,
        held: [],
        incarnation: 0,
      };
      this.nodes.set(spec.id, node);
    }
    // Every node exists before any starts: a machine may send in its first step.
    for (const node of this.nodes.values()) this.boot(node);
  }

  get now(): number {
    return this.time;
  }

  get ids(): string[] {
    return this.members.map((m) => m.id);
  }

  /** Adds an invariant checked after every event; a returned string is a violation. */
  check(fn: (sim: Simulation<TOptions>) => string | undefined): this {
    this.checks.push(fn);
    return this;
  }

  /** Checks election safety and lease safety after every event. */
  checkSafety(): this {
    this.watchTerms = true;
    return this.check(electionSafety).check(leaseSafety);
  }

  /** One node's role, leader, term and state at this virtual instant. */
  node(id: string): SimNodeState {
    const n = this.get(id);
    const view: ProtocolView =
      n.actor === undefined
        ? { role: 'follower', leader: null, term: n.durable?.term }
        : this.protocol.view(n.actor.getSnapshot());
    return {
      id,
      ...view,
      up: n.actor !== undefined,
      frozen: this.time < n.frozenUntil,
      isLeader: view.role === 'leader' && n.host?.leaseHolds(this.protocol.leased) === true,
    };
  }

  /** Every node's state, in the order of `ids`. */
  states(): SimNodeState[] {
    return this.ids.map((id) => this.node(id));
  }

  /** Nodes holding a lease right now. */
  leaders(): string[] {
    return this.states()
      .filter((s) => s.isLeader)
      .map((s) => s.id);
  }

  /** The leader every live node agrees on, if there is exactly one such agreement. */
  agreedLeader(): string | undefined {
    const live = this.states().filter((s) => s.up && !s.frozen);
    const leader = live[0]?.leader;
    if (leader === null || leader === undefined) return undefined;
    if (!live.every((s) => s.leader === leader)) return undefined;
    return this.node(leader).isLeader ? leader : undefined;
  }

  /** The node's XState snapshot (undefined while it is down). */
  snapshot(id: string): unknown {
    return this.get(id).actor?.getSnapshot();
  }

  /** Runs for `ms` of virtual time. */
  run(ms: number): void {
    this.runTo(this.time + ms);
  }

  /** Runs until `done` holds (checked after every event) or `ms` pass; returns whether it held. */
  runUntil(done: (sim: Simulation<TOptions>) => boolean, ms: number): boolean {
    const end = this.time + ms;
    if (done(this)) return true;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > end) {
        this.time = end;
        return done(this);
      }
      this.step();
      if (done(this)) return true;
    }
  }

  /** Splits the nodes into groups that cannot reach each other. */
  partition(...groups: string[][]): void {
    this.trace.add(this.time, '*', 'partition', groups);
    this.network.partition(groups);
  }

  /** Drops everything `from` sends `to`, one way only. */
  cut(from: string, to: string): void {
    this.trace.add(this.time, '*', 'cut', [from, to]);
    this.network.cut(from, to);
  }

  /** Ends every partition and cut. */
  heal(): void {
    this.trace.add(this.time, '*', 'heal');
    this.network.heal();
  }

  /** Changes the network's loss, duplication or delay from now on. */
  setFaults(faults: Partial<NetworkFaults>): void {
    this.trace.add(this.time, '*', 'faults', faults);
    this.network.faults = { ...this.network.faults, ...faults };
  }

  /** The process dies: timers, in-flight work and memory are gone; durable state stays. */
  crash(id: string): void {
    const n = this.get(id);
    if (n.actor === undefined) return;
    this.trace.add(this.time, id, 'crash');
    n.clock?.clearAll();
    n.actor.stop();
    n.actor = undefined;
    n.clock = undefined;
    n.host = undefined;
    n.held = [];
    n.frozenUntil = 0;
  }

  /** Starts a crashed node again, with its durable state unless `durable` is false. */
  restart(id: string, opts: { durable?: boolean } = {}): void {
    const n = this.get(id);
    if (n.actor !== undefined) this.crash(id);
    if (opts.durable === false) n.durable = undefined;
    this.trace.add(this.time, id, 'restart', { durable: opts.durable !== false });
    this.boot(n);
  }

  /** Stops the world for one node (a long GC pause): nothing it owns runs until it thaws. */
  freeze(id: string, ms: number): void {
    const n = this.get(id);
    if (n.actor === undefined) return;
    this.trace.add(this.time, id, 'freeze', { ms });
    n.frozenUntil = Math.max(n.frozenUntil, this.time + ms);
    const incarnation = n.incarnation;
    this.queue.push(n.frozenUntil, () => {
      if (n.incarnation !== incarnation || this.time < n.frozenUntil) return;
      this.trace.add(this.time, id, 'thaw');
      const held = n.held;
      n.held = [];
      // Each held event is a step of its own: a check between them sees what the node
      // decided before the next one arrived, as it would had the node not been frozen.
      for (const run of held) {
        run();
        this.runChecks();
      }
    });
  }

  /** Sends an event from outside (a user calling `resign()`, say) to one node. */
  send(id: string, event: { type: string }): void {
    const n = this.get(id);
    this.trace.add(this.time, id, `<- ${event.type}`);
    this.dispatch(n, () => n.actor?.send(event));
  }

  /** Manual mode: the messages in flight, oldest first. */
  inFlight(): readonly HeldMessage[] {
    return this.manualInFlight;
  }

  /** Manual mode: delivers one held copy of this message; false if none is in flight. */
  deliver(from: string, to: string, msg: unknown): boolean {
    if (!this.release(from, to, msg)) return false;
    const target = this.get(to);
    this.trace.add(this.time, to, `<- ${from}`, msg);
    this.dispatch(target, () => {
      this.stats.delivered++;
      target.actor?.send({ type: 'receive', from, msg });
    });
    return true;
  }

  /** Manual mode: loses one held copy of this message. */
  drop(from: string, to: string, msg: unknown): boolean {
    if (!this.release(from, to, msg)) return false;
    this.stats.lost++;
    this.trace.add(this.time, to, `lost from ${from}`, msg);
    return true;
  }

  /** Manual mode: the network copies a held message. */
  duplicate(from: string, to: string, msg: unknown): boolean {
    if (this.find(from, to, msg) < 0) return false;
    this.stats.duplicated++;
    this.manualInFlight.push({ from, to, msg });
    return true;
  }

  /** Manual mode: fires the node's pending timer with this XState id now. */
  fire(id: string, timer: string): boolean {
    const n = this.get(id);
    const actor = n.actor;
    if (actor === undefined) return false;
    const system = actor.system as unknown as ActorSystemTimers;
    const entry = Object.values(system.getSnapshot()._scheduledEvents).find(
      (e) => e.source === actor && e.id === timer,
    );
    if (entry === undefined) return false;
    this.trace.add(this.time, id, `timer ${timer}`);
    system.scheduler.cancel(actor, timer);
    this.dispatch(n, () => actor.send(entry.event));
    return true;
  }

  /** Manual mode: the XState ids of the node's pending timers. */
  pendingTimers(id: string): string[] {
    const actor = this.get(id).actor;
    if (actor === undefined) return [];
    const system = actor.system as unknown as ActorSystemTimers;
    return Object.values(system.getSnapshot()._scheduledEvents)
      .filter((e) => e.source === actor)
      .map((e) => e.id);
  }

  private find(from: string, to: string, msg: unknown): number {
    const json = JSON.stringify(msg);
    return this.manualInFlight.findIndex(
      (h) => h.from === from && h.to === to && JSON.stringify(h.msg) === json,
    );
  }

  private release(from: string, to: string, msg: unknown): boolean {
    const at = this.find(from, to, msg);
    if (at < 0) return false;
    this.manualInFlight.splice(at, 1);
    return true;
  }

  private get(id: string): SimNode {
    const n = this.nodes.get(id);
    if (n === undefined) throw new Error(`no node ${id} in this simulation`);
    return n;
  }

  private boot(n: SimNode): void {
    n.incarnation++;
    const clock = new VirtualClock(
      this.manual ? this.parked : this.queue,
      () => this.time,
      (run) => this.dispatch(n, run),
    );
    const input = this.protocol.input({
      id: n.spec.id,
      members: this.members,
      seed: this.rng.seed(),
      persisted: n.durable,
      options: { ...this.options, ...nodeOptions(n.spec) },
      now: this.time,
    });
    const actor = createActor(this.protocol.logic, { input, clock });
    const id = n.spec.id;
    const host = new NodeHost(
      {
        now: () => this.time,
        others: this.members.filter((m) => m.id !== id).map((m) => m.id),
        durable: n.durable,
      },
      {
        send: (to, msg) => this.transmit(id, to, msg),
        persist: (state) => {
          n.durable = state;
        },
        observe: (e) => this.observe(id, e),
      },
    );
    n.clock = clock;
    n.actor = actor;
    n.host = host;
    actor.on('*', (e) => host.apply(e as ProtocolEmitted));
    actor.subscribe(() => host.endStep());
    actor.start();
  }

  /** Runs `work` for node `n` now, or at thaw if it is frozen; drops it if `n` is down. */
  private dispatch(n: SimNode, work: () => void): void {
    if (n.actor === undefined) return;
    if (this.time < n.frozenUntil) {
      n.held.push(work);
      return;
    }
    work();
  }

  /** The trace of what a node's host carried out, and each leader as it emerges. */
  private observe(id: string, e: ProtocolEmitted): void {
    switch (e.type) {
      case 'role':
        this.trace.add(this.time, id, `role ${e.role}`, { term: e.term });
        if (e.role === 'leader') this.recordLeader(id, e.term);
        return;
      case 'leader':
        this.trace.add(this.time, id, `leader ${e.leader ?? '-'}`, { term: e.term });
        return;
      case 'persist':
      case 'lease.start':
        return;
      default:
        this.trace.add(this.time, id, e.type);
    }
  }

  private recordLeader(id: string, term: number): void {
    const prior = this.leadersByTerm.get(term);
    if (prior === undefined) this.leadersByTerm.set(term, id);
    else if (prior !== id && this.watchTerms) {
      this.pendingViolation ??= `two leaders in term ${term}: ${prior} and ${id}`;
    }
  }

  private transmit(from: string, to: string, msg: unknown): void {
    this.stats.sent++;
    if (this.manual) {
      this.manualInFlight.push({ from, to, msg });
      return;
    }
    if (!this.network.connected(from, to)) {
      this.stats.lost++;
      return;
    }
    const delays = this.network.fate(this.rng);
    if (delays.length === 0) this.stats.lost++;
    if (delays.length > 1) this.stats.duplicated++;
    const target = this.get(to);
    const event = { type: 'receive', from, msg };
    const arrive = () => this.arrive(target, event);
    for (const delay of delays) this.queue.push(this.time + delay, arrive);
  }

  /**
   * A message in flight to a process that has since restarted reaches the new one, as with
   * a real socket peer that came back on the same address; one to a dead node is lost.
   */
  private arrive(target: SimNode, event: { type: string; from: string; msg: unknown }): void {
    if (target.actor === undefined) return;
    if (this.time < target.frozenUntil) {
      target.held.push(() => this.arrive(target, event));
      return;
    }
    this.stats.delivered++;
    target.actor.send(event);
  }

  private runTo(end: number): void {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > end) break;
      this.step();
    }
    this.time = end;
  }

  private step(): void {
    const ev = this.queue.pop();
    if (ev === undefined) return;
    this.time = ev.at;
    if (ev.cancelled) return;
    this.stats.events++;
    ev.run();
    this.runChecks();
  }

  private runChecks(): void {
    if (this.pendingViolation !== undefined) this.violation(this.pendingViolation);
    for (const check of this.checks) {
      const problem = check(this);
      if (problem !== undefined) this.violation(problem);
    }
  }

  private violation(message: string): never {
    throw new SafetyViolation(`at ${this.time}ms: ${message}`, this.seed, this.trace.format());
  }
}

/** What XState's actor system exposes about delayed events (not in its public types). */
interface ActorSystemTimers {
  getSnapshot(): {
    _scheduledEvents: Record<string, { source: unknown; id: string; event: { type: string } }>;
  };
  scheduler: { cancel(source: unknown, id: string): void };
}

function nodeOptions(spec: MemberSpec): Record<string, unknown> {
  const o: Record<string, unknown> = { ...spec.options };
  if (spec.voter === false) o.noVote = true;
  if (spec.tags !== undefined) o.tags = spec.tags;
  return o;
}

/** Never two nodes in the leader role in one term (also checked as each leader emerges). */
function electionSafety<T>(sim: Simulation<T>): string | undefined {
  const seen = new Map<number, string>();
  for (const s of sim.states()) {
    if (s.role !== 'leader' || s.term === undefined || !s.up) continue;
    const other = seen.get(s.term);
    if (other !== undefined) return `two leaders in term ${s.term}: ${other} and ${s.id}`;
    seen.set(s.term, s.id);
  }
  return undefined;
}

/** Never two nodes that may act as leader at the same virtual instant. */
function leaseSafety<T>(sim: Simulation<T>): string | undefined {
  const holders = sim.leaders();
  return holders.length > 1 ? `two lease holders at once: ${holders.join(', ')}` : undefined;
}

export type { Role };
