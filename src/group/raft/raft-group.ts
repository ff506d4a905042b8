import { join } from 'node:path';
import { decodeRaftMessage } from '../../../machines/index.js';
import { raftTiming } from '../../../machines/raft/definition.js';
import { DEFAULT_MAX_FRAME_BYTES } from '../../../transports/types.js';
import { type Election, type ElectionEvents, hostElection } from '../../runtime/election.js';
import { EventHub } from '../../runtime/event-hub.js';
import { spreadMoves } from '../spread-moves.js';
import { checkElectionNames } from './election-names.js';
import { GroupLink } from './group-link.js';
import type {
  RaftGroup,
  RaftGroupElectionStatus,
  RaftGroupEvents,
  RaftGroupOptions,
  RaftGroupStatus,
} from './raft-group-types.js';
import { PROCESS_CLOCK, TickClock } from './tick-clock.js';

/**
 * Many Raft elections among the same members, in one process, sharing what can be shared, as
 * multi-Raft systems (CockroachDB, TiKV) do: one connection per peer for all of them, and one
 * heartbeat clock, so that every election this member leads beats in the same instant and
 * its heartbeats to a peer leave as one frame, answered by one frame of acks. Each election
 * keeps its own term, vote, lease and leader, its own events and `AbortSignal`, and its own
 * directory under `dataDir`. Refuses unsafe timings with a `RangeError` and bad names with a
 * `TypeError`. Call `start()` to run it.
 */
export function createRaftGroup(options: RaftGroupOptions): RaftGroup {
  return new NodeRaftGroup(options);
}

type Phase = 'idle' | 'running' | 'stopped';

class NodeRaftGroup implements RaftGroup {
  readonly names: readonly string[];
  private readonly elections = new Map<string, Election>();
  private readonly hub = new EventHub<RaftGroupEvents>();
  private readonly clock: TickClock;
  private readonly link: GroupLink;
  private phase: Phase = 'idle';
  private linkErrors = 0;
  private spreading: unknown;
  private readonly aliveWithinMs: number;

  constructor(private readonly options: RaftGroupOptions) {
    this.names = checkElectionNames(options.elections);
    if (typeof options.id !== 'string' || options.id.length === 0) {
      throw new TypeError('id must be a non-empty string');
    }
    if (!Array.isArray(options.peers) || options.peers.length === 0) {
      throw new TypeError('peers must list the cluster members');
    }
    const { heartbeatMs, electionTimeoutMaxMs } = raftTiming(options);
    // A peer silent for a whole election timeout would already be stood against.
    this.aliveWithinMs = electionTimeoutMaxMs;
    this.clock = new TickClock(heartbeatMs, PROCESS_CLOCK, (err) =>
      this.linkFailed(undefined, err),
    );
    this.link = new GroupLink({
      id: options.id,
      peers: options.peers
        .filter((p) => p.id !== options.id)
        .map(({ id, address }) => ({ id, address })),
      transport: options.transport,
      names: this.names,
      decode: decodeRaftMessage,
      maxFrameBytes: options.maxFrameBytes ?? DEFAULT_MAX_FRAME_BYTES,
      failed: (name, err) => this.linkFailed(name, err),
    });
    for (const [i, name] of this.names.entries()) {
      const election = this.createOne(name, i);
      this.elections.set(name, election);
      this.forward(name, election);
    }
  }

  private createOne(name: string, index: number): Election {
    const o = this.options;
    const callbacks = o.callbacks?.(name);
    return hostElection(
      {
        protocol: 'raft',
        id: o.id,
        peers: o.peers,
        transport: this.link.port(name),
        name,
        ...(o.heartbeatMs === undefined ? {} : { heartbeatMs: o.heartbeatMs }),
        ...(o.electionTimeoutMs === undefined ? {} : { electionTimeoutMs: o.electionTimeoutMs }),
        ...(o.leaseMs === undefined ? {} : { leaseMs: o.leaseMs }),
        ...(o.noVote === undefined ? {} : { noVote: o.noVote }),
        ...(o.tags === undefined ? {} : { tags: o.tags }),
        ...(o.preVote === undefined ? {} : { preVote: o.preVote }),
        ...(o.dataDir === undefined ? {} : { dataDir: join(o.dataDir, name) }),
        ...(callbacks === undefined ? {} : { callbacks }),
        ...(o.callbackTimeoutMs === undefined ? {} : { callbackTimeoutMs: o.callbackTimeoutMs }),
        ...(o.seed === undefined ? {} : { seed: o.seed + index }),
      },
      { clock: this.clock },
    );
  }

  /** Each election's events, re-emitted with its name; a listener's throw is that election's error. */
  private forward(name: string, election: Election): void {
    const relay = <K extends keyof ElectionEvents>(type: K) =>
      election.on(type, (event) => {
        const errors =
          type === 'error'
            ? this.hub.emit('error', { election: name, error: event as Error })
            : this.hub.emit(type, { election: name, ...(event as object) } as never);
        for (const error of errors) this.hub.emit('error', { election: name, error });
      });
    relay('change');
    relay('elected');
    relay('deposed');
    relay('error');
  }

  private linkFailed(election: string | undefined, cause: unknown): void {
    this.linkErrors++;
    const error = cause instanceof Error ? cause : new Error(String(cause));
    this.hub.emit('error', { election, error });
  }

  async start(): Promise<void> {
    if (this.phase !== 'idle') throw new Error(`cannot start a group that is ${this.phase}`);
    this.phase = 'running';
    try {
      await this.link.start();
    } catch (err) {
      this.phase = 'stopped';
      this.clock.stop();
      throw err;
    }
    await Promise.all([...this.elections.values()].map((e) => e.start()));
    if (this.options.spread === true) this.spreadEvery(2 * this.aliveWithinMs);
  }

  /**
   * Looks every `ms` at who leads what and hands over what this member leads beyond its
   * share. Every member plans from the same rule, so each moves only its own excess, and a
   * hand-over lands on a member below its share; the next look sees the result.
   */
  private spreadEvery(ms: number): void {
    this.spreading = this.clock.setTimeout(() => {
      if (this.phase !== 'running') return;
      this.spread();
      this.spreadEvery(ms);
    }, ms);
  }

  private spread(): void {
    const self = this.options.id;
    const leaders = new Map<string, string | null>();
    for (const [name, election] of this.elections) leaders.set(name, election.status().leader);
    const alive = [self, ...this.link.heardWithin(this.aliveWithinMs)];
    for (const move of spreadMoves(leaders, alive)) {
      const election = this.elections.get(move.shard)!;
      if (move.from === self && election.isLeader) void election.resign({ to: move.to });
    }
  }

  async stop(): Promise<void> {
    if (this.phase === 'stopped') return;
    const wasRunning = this.phase === 'running';
    this.phase = 'stopped';
    if (this.spreading !== undefined) this.clock.clearTimeout(this.spreading);
    await Promise.all([...this.elections.values()].map((e) => e.stop()));
    // After the elections, so that their handovers leave in the last frames.
    if (wasRunning) this.link.stop();
    this.clock.stop();
  }

  async resign(): Promise<void> {
    await Promise.all([...this.elections.values()].map((e) => e.resign()));
  }

  election(name: string): Election {
    const election = this.elections.get(name);
    if (election === undefined) throw new RangeError(`no election named ${JSON.stringify(name)}`);
    return election;
  }

  status(): RaftGroupStatus {
    let leading = 0;
    let errors = this.linkErrors;
    const elections: RaftGroupElectionStatus[] = [];
    for (const [name, election] of this.elections) {
      const s = election.status();
      if (s.isLeader) leading++;
      errors += s.errors;
      elections.push({
        name,
        role: s.role,
        leader: s.leader,
        term: s.term ?? null,
        isLeader: s.isLeader,
      });
    }
    return {
      id: this.options.id,
      elections,
      leading,
      ticks: this.clock.ticks,
      peers: this.link.peers(),
      dropped: this.link.drops(),
      errors,
    };
  }

  on<K extends keyof RaftGroupEvents>(type: K, listener: (event: RaftGroupEvents[K]) => void) {
    return this.hub.on(type, listener);
  }

  off<K extends keyof RaftGroupEvents>(type: K, listener: (event: RaftGroupEvents[K]) => void) {
    this.hub.off(type, listener);
  }
}
