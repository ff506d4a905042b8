import { randomInt } from 'node:crypto';
import {
  type Actor,
  type ActorOptions,
  type AnyActorLogic,
  type AnyActorRef,
  createActor,
} from 'xstate';
import type { MemberSpec } from '../../machines/protocol-definition.js';
import type { ProtocolEmitted, Role } from '../../machines/protocol-events.js';
import type { ProtocolView } from '../../machines/protocol-view.js';
import type { Tags } from '../../machines/raft/messages.js';
import type { DropReason } from '../../transports/types.js';
import { type ElectionMetrics, electionMetrics } from '../metrics/election-metrics.js';
import { observeElectionMetrics } from '../metrics/open-telemetry.js';
import { registerElectionMetrics } from '../metrics/prom-client-registry.js';
import { type BullyElectionOptions, bullyHosting } from '../protocols/bully.js';
import { type EntropyElectionOptions, entropyHosting } from '../protocols/entropy.js';
import type { HostedElection, HostedProtocol, PeerConfig } from '../protocols/hosted-election.js';
import { type KvElectionOptions, kvHosting } from '../protocols/kv.js';
import { type LesElectionOptions, lesHosting } from '../protocols/les.js';
import { type RaftElectionOptions, raftHosting } from '../protocols/raft.js';
import type { ElectionStatus, MemberStatus } from '../status/election-status.js';
import { DurableStore } from './durable-store.js';
import { EventHub } from './event-hub.js';
import { LazyTimerClock } from './lazy-timer-clock.js';
import { NodeHost } from './node-host.js';
import { createNodeLogic, type NodeEmitted, type NodeLogic } from './node-logic.js';
import { PauseGuard } from './pause-guard.js';
import { CallbackRunner } from './state-callbacks.js';

export type { LesRefusal } from '../protocols/les.js';
export type { ElectionStatus, MemberStatus } from '../status/election-status.js';
export type {
  BullyElectionOptions,
  EntropyElectionOptions,
  KvElectionOptions,
  LesElectionOptions,
  PeerConfig,
  RaftElectionOptions,
};

/** Options of `createElection`, one shape per protocol, told apart by `protocol`. */
export type ElectionOptions =
  | KvElectionOptions
  | RaftElectionOptions
  | BullyElectionOptions
  | EntropyElectionOptions
  | LesElectionOptions;

/** The `change` event: this node's role, the leader it knows of, or the term changed. */
export interface ChangeEvent {
  role: Role;
  leader: string | null;
  term: number | undefined;
  isLeader: boolean;
  /** Where to reach the leader and its pid (Bully). */
  leaderAddress?: string;
  leaderPid?: string;
  /** Every leader of the current round (entropy). */
  leaders?: string[];
}

/**
 * `paused`: a leader without a lease holds off after its process stood still (see PauseGuard).
 * `shared-lease-lapsed`: the lease (or session) an election group shares lapsed, deposing
 * every election under it at once.
 */
export type DeposeReason =
  | 'stepped-down'
  | 'lease-lapsed'
  | 'shared-lease-lapsed'
  | 'paused'
  | 'resigned'
  | 'stopped';

/** The events an `Election` emits, by name, with their payloads. */
export interface ElectionEvents {
  change: ChangeEvent;
  elected: { term: number | undefined; signal: AbortSignal; fencingToken?: number };
  deposed: { term: number | undefined; reason: DeposeReason };
  error: Error;
}

/** Options of `Election.resign`. */
export interface ResignOptions {
  /** The member to hand leadership to (Raft's TimeoutNow); ignored where none can be asked. */
  to?: string;
}

/** One member of an election, as `createElection` returns it. */
export interface Election {
  /** Starts the node; resolves once its transport is ready, rejects if the transport fails. */
  start(): Promise<void>;
  /**
   * Stops the node: a leader resigns first; the last role's leave callback runs before it resolves.
   */
  stop(): Promise<void>;
  /**
   * Gives up leadership; a Raft leader hands over at once to `options.to` when that member
   * votes, else to its most up-to-date follower. Other protocols let the next candidate in.
   */
  resign(options?: ResignOptions): Promise<void>;
  /** This node's view of the election now; `isLeader` reads the lease clock. */
  status(): ElectionStatus;
  readonly isLeader: boolean;
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ElectionEvents>(
    type: K,
    listener: (event: ElectionEvents[K]) => void,
  ): () => void;
  /** Removes a listener added with `on`. */
  off<K extends keyof ElectionEvents>(type: K, listener: (event: ElectionEvents[K]) => void): void;
  /**
   * Waits until this node leads, then runs `work` with a signal that aborts the instant
   * leadership ends. Resolves with the work's result; rejects with a LeadershipLostError if
   * leadership ends first, even when the work ignores its signal.
   */
  whileLeader<T>(work: (signal: AbortSignal) => Promise<T> | T): Promise<T>;
  /** The node's root actor (protocol and transport are its children), for inspection. */
  readonly actor: AnyActorRef | undefined;
  /** Its metrics, computed from `status()` whenever they are read (see docs/metrics.md). */
  readonly metrics: ElectionMetrics;
}

/** Rejects `whileLeader` when leadership ends before the work does, with the reason. */
export class LeadershipLostError extends Error {
  constructor(readonly reason: DeposeReason | 'not-started') {
    super(`leadership lost (${reason})`);
    this.name = 'LeadershipLostError';
  }
}

/** Every protocol `createElection` runs, by the name its options give. */
const PROTOCOLS = {
  raft: raftHosting,
  bully: bullyHosting,
  entropy: entropyHosting,
  kv: kvHosting,
  les: lesHosting,
} as const;

/**
 * Builds one member of an election of the given protocol; refuses timings that cannot be safe with
 * a `RangeError` naming the rule. Call `start()` to run it.
 */
export function createElection(options: ElectionOptions): Election {
  return hostElection(options, {});
}

/** The timers' clock, in the shape XState's `createActor` takes. */
export type ElectionClock = NonNullable<ActorOptions<AnyActorLogic>['clock']>;

/** What a host that runs several elections in one process lends each of them. */
export interface ElectionHost {
  /** The clock the node's timers run on: election groups share one that aligns heartbeats. */
  clock?: ElectionClock;
}

/** `createElection` for a host that lends the node what it shares with other elections. */
export function hostElection(options: ElectionOptions, host: ElectionHost): Election {
  const name = (options as { protocol: unknown }).protocol;
  if (typeof name !== 'string' || !Object.hasOwn(PROTOCOLS, name)) {
    throw new TypeError(`unknown protocol ${String(name)}`);
  }
  // biome-ignore lint/suspicious/noExplicitAny: the options' protocol picked this definition
  const protocol = PROTOCOLS[name as keyof typeof PROTOCOLS] as HostedProtocol<any, any, any>;
  protocol.check(options);
  return new NodeElection(options, protocol, protocol.hosted(options), host.clock);
}

/**
 * A KV election whose 'deposed' names `shared-lease-lapsed` while `lapsed()` says so: the
 * store side of an election group knows why it ended the lease, the runtime does not.
 */
export function createGroupedElection(options: KvElectionOptions, lapsed: () => boolean): Election {
  kvHosting.check(options);
  return new NodeElection(options, kvHosting, kvHosting.hosted(options), undefined, lapsed);
}

type Phase = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped';

class NodeElection implements Election {
  private phase: Phase = 'idle';
  private node: Actor<NodeLogic> | undefined;
  private protocolRef: AnyActorRef | undefined;
  private transportRef: AnyActorRef | undefined;
  private readonly hub = new EventHub<ElectionEvents>();
  private readonly host: NodeHost;
  private readonly pauseGuard: PauseGuard | undefined;
  /**
   * Every timer of the node's actors, and the lease's: the host's (a group's shared tick
   * clock) if it lends one, else one lazy timer of the node's own (see LazyTimerClock).
   */
  private readonly clock: ElectionClock;
  private leaseTimer: unknown;
  private leading = false;
  private controller: AbortController | undefined;
  private resigning = false;
  private lastChange: ChangeEvent | undefined;
  private lastSnapshot: unknown;
  private lastRole: Role | undefined;
  private readonly store: DurableStore | undefined;
  private readonly callbacks: CallbackRunner;
  private readonly counters = {
    sent: 0,
    received: 0,
    errors: 0,
    won: 0,
    leaderChanges: 0,
    dropped: {} as Partial<Record<DropReason, number>>,
  };
  /** The last leader this node knew of (null before the first), for counting changes. */
  private lastKnownLeader: string | null = null;
  readonly metrics: ElectionMetrics;
  /** Takes the metrics out of the registry and meter they were given to, at stop. */
  private readonly unexport: (() => void)[] = [];
  private readonly lastContact = new Map<string, number>();
  private startedAt: Date | undefined;

  constructor(
    private readonly options: ElectionOptions,
    // biome-ignore lint/suspicious/noExplicitAny: each protocol brings its own options and machine
    private readonly protocol: HostedProtocol<any, any, any>,
    private readonly hosted: HostedElection,
    hostClock: ElectionClock | undefined,
    private readonly lapsed?: () => boolean,
  ) {
    this.clock = hostClock ?? new LazyTimerClock();
    const { peers } = hosted;
    if (typeof options.id !== 'string' || options.id.length === 0) {
      throw new TypeError('id must be a non-empty string');
    }
    if (peers.length === 0 && protocol.discoversMembers !== true) {
      throw new TypeError('peers must list the cluster members');
    }
    const ids = new Set<string>();
    for (const p of peers) {
      if (ids.has(p.id)) throw new TypeError(`peer id ${p.id} is listed twice`);
      ids.add(p.id);
    }
    const pause = protocol.pauseGuard?.(options);
    this.pauseGuard =
      pause === undefined
        ? undefined
        : new PauseGuard(() => performance.now(), pause.afterMs, pause.holdMs);
    this.store = hosted.dataDir === undefined ? undefined : new DurableStore(hosted.dataDir);
    const store = this.store;
    this.host = new NodeHost(
      { now: () => performance.now() },
      {
        send: (to, msg) => {
          this.counters.sent++;
          // Straight to the transport: a hop through the node actor would cost a full
          // macrostep per message on the hottest path, and inspectors see the event either way.
          this.transportRef?.send({ type: 'send', to, msg });
        },
        // Written before the machine's next send leaves; while the disk fails, the host holds
        // every send, so a vote that might not survive a restart is never cast.
        ...(store === undefined ? {} : { persist: (state) => store.save(state) }),
        persistFailed: (err) =>
          this.fail(new Error(`could not persist term and vote: ${err.message}`, { cause: err })),
        // The lease can only end here (revoked); it starts with the snapshot that follows.
        leaseChanged: () => this.armLeaseTimer(),
        observe: (e) => this.onEffect(e),
      },
    );
    this.callbacks = new CallbackRunner(
      options.callbacks ?? {},
      options.callbackTimeoutMs ?? 5000,
      (error) => this.fail(error),
    );
    this.metrics = electionMetrics(
      options.name ?? hosted.name,
      () => this.status(),
      hosted.latency,
    );
    if (options.register !== undefined) {
      this.unexport.push(registerElectionMetrics(options.register, this.metrics));
    }
    if (options.meter !== undefined) {
      this.unexport.push(observeElectionMetrics(options.meter, this.metrics));
    }
  }

  get actor(): AnyActorRef | undefined {
    return this.node;
  }

  get isLeader(): boolean {
    const leading = this.phase === 'running' && this.leads(this.view());
    // Whoever reads first after a pause makes the signal and the events catch up.
    if (!leading) this.recheck();
    return leading;
  }

  /**
   * Leading is the machine's role, and for leased protocols also an unexpired lease; for
   * the others, no hold after a pause of this process.
   */
  private leads(view: ProtocolView): boolean {
    if (view.role !== 'leader') return false;
    if (this.protocol.leased) return this.host.lease.holds();
    return this.pauseGuard?.holding() !== true;
  }

  /**
   * The signal handed to leader work. Its `aborted` (and `throwIfAborted`) look at the lease
   * clock on every read: after a pause the process may run the application's code before
   * any timer of the runtime, and it must already read `aborted === true` then.
   */
  private leaderSignal(controller: AbortController): AbortSignal {
    const signal = controller.signal;
    const nativeAborted = Object.getOwnPropertyDescriptor(AbortSignal.prototype, 'aborted')!.get!;
    const recheck = () => {
      if (!nativeAborted.call(signal) && this.controller === controller) this.recheck();
    };
    Object.defineProperty(signal, 'aborted', {
      configurable: true,
      get: () => {
        recheck();
        return nativeAborted.call(signal) as boolean;
      },
    });
    const nativeThrow = AbortSignal.prototype.throwIfAborted;
    Object.defineProperty(signal, 'throwIfAborted', {
      configurable: true,
      value: () => {
        recheck();
        nativeThrow.call(signal);
      },
    });
    return signal;
  }

  /** Ends leadership now if the clock says it has ended, without waiting for a timer. */
  private recheck(): void {
    if (this.phase === 'running' && this.leading && !this.leads(this.view())) this.refresh();
  }

  on<K extends keyof ElectionEvents>(type: K, listener: (event: ElectionEvents[K]) => void) {
    return this.hub.on(type, listener);
  }

  off<K extends keyof ElectionEvents>(type: K, listener: (event: ElectionEvents[K]) => void) {
    this.hub.off(type, listener);
  }

  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`cannot start an election that is ${this.phase}`);
    this.phase = 'starting';
    const { options } = this;
    const members: MemberSpec[] = this.hosted.peers.map((p) => ({
      id: p.id,
      ...(p.noVote ? { voter: false } : {}),
      ...(p.tags === undefined ? {} : { tags: p.tags }),
    }));
    if (!members.some((m) => m.id === options.id)) members.push({ id: options.id });
    const logic = createNodeLogic(this.protocol.logic, this.hosted.edge);
    const node = createActor(logic, {
      input: {
        protocol: this.protocol.input({
          id: options.id,
          members,
          seed: options.seed ?? randomInt(2 ** 31),
          persisted: this.store?.load(),
          options,
          now: Date.now(),
        }),
        transport: {
          id: options.id,
          peers: this.hosted.peers
            .filter((p) => p.id !== options.id)
            .map((p) => ({ id: p.id, address: p.address })),
          decode: this.protocol.decode,
        },
      },
      clock: this.clock,
      ...(options.inspect === undefined ? {} : { inspect: options.inspect }),
    });
    this.node = node;
    const protocolRef = node.getSnapshot().children.protocol;
    this.protocolRef = protocolRef;
    this.transportRef = node.getSnapshot().children.transport;
    const ready = new Promise<void>((resolve, reject) => {
      const offReady = node.on('transport.ready', () => {
        offReady.unsubscribe();
        offError.unsubscribe();
        resolve();
      });
      const offError = node.on('transport.error', (e) => {
        offReady.unsubscribe();
        offError.unsubscribe();
        reject(e.error);
      });
    });
    // Subscribed before start, so not even the first emitted event is missed.
    protocolRef.on('*', (e) => this.host.apply(e as ProtocolEmitted));
    // Role and leader are read from committed snapshots: an emit can run before its
    // transition is committed, a subscription never does.
    protocolRef.subscribe({
      next: (snapshot) => this.onProtocolSnapshot(snapshot),
      error: (err) => this.fail(err as Error),
    });
    node.on('*', (e) => this.onNodeEmitted(e as NodeEmitted));
    this.startedAt = new Date();
    node.start();
    try {
      await ready;
    } catch (err) {
      node.stop();
      this.phase = 'stopped';
      throw err;
    }
    this.phase = 'running';
    this.pauseGuard?.start(() => this.refresh());
    this.lastRole = this.view().role;
    this.callbacks.roleChanged(undefined, this.lastRole);
    this.refresh();
  }

  async stop(): Promise<void> {
    if (this.phase === 'idle') {
      this.phase = 'stopped';
      return;
    }
    if (this.phase !== 'running') return;
    if (this.view().role === 'leader') await this.resign();
    this.phase = 'stopping';
    this.setLeading(false, 'stopped');
    if (this.leaseTimer !== undefined) this.clock.clearTimeout(this.leaseTimer);
    this.pauseGuard?.stop();
    this.node?.stop();
    this.phase = 'stopped';
    for (const unexport of this.unexport.splice(0)) unexport();
    this.callbacks.stopped(this.lastRole);
    this.lastRole = undefined;
    await this.callbacks.idle();
  }

  async resign(options: ResignOptions = {}): Promise<void> {
    if (this.phase !== 'running' || this.view().role !== 'leader') return;
    this.resigning = true;
    try {
      this.node?.send(
        options.to === undefined ? { type: 'resign' } : { type: 'resign', to: options.to },
      );
    } finally {
      this.resigning = false;
    }
  }

  status(): ElectionStatus {
    const view = this.view();
    const leading = this.isLeader;
    return {
      id: this.options.id,
      protocol: this.protocol.name,
      role: view.role,
      leader: view.leader,
      ...(view.leaderAddress === undefined ? {} : { leaderAddress: view.leaderAddress }),
      ...(view.leaderPid === undefined ? {} : { leaderPid: view.leaderPid }),
      ...(view.leaders === undefined ? {} : { leaders: [...view.leaders] }),
      term: view.term,
      isLeader: leading,
      leaseRemainingMs: leading ? Math.round(this.host.lease.expiresAt - performance.now()) : null,
      ...(leading && view.fencingToken !== undefined ? { fencingToken: view.fencingToken } : {}),
      members:
        view.members === undefined
          ? this.members(view.peerTags ?? {})
          : this.learnedMembers(view.members),
      startedAt: this.startedAt?.toISOString() ?? null,
      dropped: { ...this.counters.dropped },
      messages: { sent: this.counters.sent, received: this.counters.received },
      elections: view.elections ?? 0,
      electionsWon: this.counters.won,
      leaderChanges: this.counters.leaderChanges,
      errors: this.counters.errors,
    };
  }

  whileLeader<T>(work: (signal: AbortSignal) => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const run = (signal: AbortSignal) => {
        const lost = () => reject(new LeadershipLostError(signal.reason?.reason ?? 'stepped-down'));
        if (signal.aborted) return lost();
        signal.addEventListener('abort', lost, { once: true });
        Promise.resolve()
          .then(() => work(signal))
          .then(
            (value) => {
              signal.removeEventListener('abort', lost);
              if (signal.aborted) lost();
              else resolve(value);
            },
            (err) => {
              signal.removeEventListener('abort', lost);
              reject(err);
            },
          );
      };
      if (this.leading && this.controller !== undefined) return run(this.controller.signal);
      if (this.phase === 'stopped' || this.phase === 'stopping') {
        return reject(new LeadershipLostError('stopped'));
      }
      const offElected = this.hub.on('elected', ({ signal }) => {
        offElected();
        offStopped();
        run(signal);
      });
      const offStopped = this.hub.on('deposed', ({ reason }) => {
        if (reason !== 'stopped' || this.leading) return;
        offElected();
        offStopped();
        reject(new LeadershipLostError('stopped'));
      });
    });
  }

  private view(): ProtocolView {
    const snap = this.protocolRef?.getSnapshot();
    if (snap === undefined) return { role: 'follower', leader: null, term: undefined };
    return this.protocol.view(snap);
  }

  private members(peerTags: Record<string, Tags>): MemberStatus[] {
    const { options } = this;
    const { peers, self } = this.hosted;
    const noVote = self?.voter === false;
    const list: PeerConfig[] = peers.some((p) => p.id === options.id)
      ? [...peers]
      : [...peers, { id: options.id, address: self?.address ?? '', noVote }];
    // Members nobody configured but who spoke up (peers discovered on a multicast group).
    const known = new Set(list.map((p) => p.id));
    for (const id of this.lastContact.keys()) {
      if (!known.has(id)) list.push({ id, address: '' });
    }
    return list.map((p) => {
      const self = p.id === options.id;
      return {
        id: p.id,
        address: p.address,
        self,
        voter: self ? !noVote : p.noVote !== true,
        tags: (self ? this.hosted.self?.tags : (peerTags[p.id] ?? p.tags)) ?? {},
        lastContact: self ? null : (this.lastContact.get(p.id) ?? null),
      };
    });
  }

  /** Members as a protocol that discovers them reports them; ids are their addresses. */
  private learnedMembers(addresses: string[]): MemberStatus[] {
    return addresses.map((address) => {
      const self = address === this.options.id;
      return {
        id: address,
        address,
        self,
        voter: true,
        tags: {},
        lastContact: self ? null : (this.lastContact.get(address) ?? null),
      };
    });
  }

  /** What the runtime does beyond the host: the protocol's own effects, and ending leadership at once. */
  private onEffect(e: { type: string }): void {
    if (e.type === 'lease.revoked') {
      this.refresh();
      return;
    }
    const report = this.hosted.onEffect?.(e);
    if (report === undefined) return;
    if (report.dropped !== undefined) {
      this.counters.dropped[report.dropped] = (this.counters.dropped[report.dropped] ?? 0) + 1;
    }
    try {
      report.notify?.();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  private onProtocolSnapshot(snapshot: unknown): void {
    // The machine finished a step: what it must keep is on disk before anything else runs.
    this.host.endStep();
    // A steady-state heartbeat leaves the snapshot as it was: nothing to look at again.
    if (snapshot === this.lastSnapshot) return;
    this.lastSnapshot = snapshot;
    if (this.phase !== 'running') return;
    const view = this.view();
    if (view.role !== this.lastRole) {
      this.callbacks.roleChanged(this.lastRole, view.role);
      this.lastRole = view.role;
    }
    this.refresh(view);
  }

  private onNodeEmitted(e: NodeEmitted): void {
    switch (e.type) {
      case 'received':
        this.counters.received++;
        this.lastContact.set(e.from, Date.now());
        return;
      case 'transport.dropped':
        this.counters.dropped[e.reason] = (this.counters.dropped[e.reason] ?? 0) + 1;
        return;
      case 'transport.error':
        if (this.phase === 'running') this.fail(e.error);
        return;
      default:
        return;
    }
  }

  /** Re-checks the lease when it would lapse, so 'deposed' fires without anyone asking. */
  private armLeaseTimer(): void {
    // Renewed every heartbeat round: on this clock, moving the deadline later costs no timer.
    if (this.leaseTimer !== undefined) this.clock.clearTimeout(this.leaseTimer);
    this.leaseTimer = undefined;
    const wait = this.host.lease.expiresAt - performance.now();
    if (!Number.isFinite(wait)) return;
    this.leaseTimer = this.clock.setTimeout(() => this.refresh(), Math.max(0, wait) + 1);
  }

  private refresh(view: ProtocolView = this.view()): void {
    if (this.phase !== 'running') return;
    const leading = this.leads(view);
    const reason: DeposeReason = this.lapsed?.()
      ? 'shared-lease-lapsed'
      : this.resigning
        ? 'resigned'
        : view.role !== 'leader'
          ? 'stepped-down'
          : this.protocol.leased
            ? 'lease-lapsed'
            : 'paused';
    this.setLeading(leading, reason);
    if (view.leader !== null && view.leader !== this.lastKnownLeader) {
      this.lastKnownLeader = view.leader;
      this.counters.leaderChanges++;
    }
    // Compared before anything is built: a leader refreshes on most acks, and almost never
    // has news.
    const last = this.lastChange;
    if (
      last !== undefined &&
      last.role === view.role &&
      last.leader === view.leader &&
      last.isLeader === leading &&
      last.leaders?.join('\u0000') === view.leaders?.join('\u0000')
    ) {
      return;
    }
    const change: ChangeEvent = {
      role: view.role,
      leader: view.leader,
      term: view.term,
      isLeader: leading,
      ...(view.leaderAddress === undefined ? {} : { leaderAddress: view.leaderAddress }),
      ...(view.leaderPid === undefined ? {} : { leaderPid: view.leaderPid }),
      ...(view.leaders === undefined ? {} : { leaders: [...view.leaders] }),
    };
    this.lastChange = change;
    this.emit('change', change);
  }

  private setLeading(leading: boolean, reason: DeposeReason): void {
    if (leading === this.leading) return;
    this.leading = leading;
    const { term, fencingToken } = this.view();
    if (leading) {
      this.counters.won++;
      this.controller = new AbortController();
      this.emit('elected', {
        term,
        signal: this.leaderSignal(this.controller),
        ...(fencingToken === undefined ? {} : { fencingToken }),
      });
    } else {
      this.controller?.abort(new LeadershipLostError(reason));
      this.controller = undefined;
      this.emit('deposed', { term, reason });
    }
  }

  private emit<K extends keyof ElectionEvents>(type: K, event: ElectionEvents[K]): void {
    for (const error of this.hub.emit(type, event)) this.fail(error);
  }

  private fail(error: Error): void {
    this.counters.errors++;
    this.hub.emit('error', error);
  }
}
