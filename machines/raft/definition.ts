import type { ProtocolDefinition } from '../protocol-definition.js';
import type { ProtocolView } from '../protocol-view.js';
import {
  type RaftContext,
  type RaftInput,
  type RaftTiming,
  raftMachine,
  raftRole,
} from './machine.js';
import { decodeRaftMessage, type Tags } from './messages.js';

/** Raft's own options (see `RaftElectionOptions` for the rest). */
export interface RaftOptions {
  /** Heartbeat interval (default 50 ms). */
  heartbeatMs?: number;
  /** Randomized election timeout range [min, max] (default [150, 300] ms). */
  electionTimeoutMs?: [number, number];
  /** Leader lease (default 90% of the minimum election timeout, leaving room for drift). */
  leaseMs?: number;
  /** This node follows but never votes or stands. */
  noVote?: boolean;
  tags?: Tags;
  /** PreVote phase (default true). */
  preVote?: boolean;
}

export const DEFAULT_RAFT_TIMING = { heartbeatMs: 50, electionTimeoutMs: [150, 300] } as const;

/** Checks timing options and fills defaults; throws a RangeError naming the bad option. */
export function raftTiming(options: RaftOptions): RaftTiming {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_RAFT_TIMING.heartbeatMs;
  const [min, max] = options.electionTimeoutMs ?? DEFAULT_RAFT_TIMING.electionTimeoutMs;
  const positive = (v: number) => Number.isFinite(v) && v > 0;
  if (!positive(heartbeatMs))
    throw new RangeError(`heartbeatMs must be positive, got ${heartbeatMs}`);
  if (!positive(min) || !positive(max) || min > max) {
    throw new RangeError(
      `electionTimeoutMs must be [min, max] with 0 < min <= max, got [${min}, ${max}]`,
    );
  }
  // The rules below are the ones the lease's safety and a quiet cluster's stability rest on;
  // docs/timing.md explains each.
  if (heartbeatMs * 3 > min) {
    throw new RangeError(
      `heartbeatMs (${heartbeatMs}) must be at most a third of the minimum election timeout (${min}): a follower must miss three heartbeats before it stands`,
    );
  }
  const leaseMs = options.leaseMs ?? Math.floor(min * 0.9);
  if (!positive(leaseMs) || leaseMs >= min) {
    throw new RangeError(
      `leaseMs must be positive and below the minimum election timeout (${min}), got ${leaseMs}: followers promise not to elect anyone for that long, and no longer`,
    );
  }
  if (leaseMs <= heartbeatMs) {
    throw new RangeError(
      `leaseMs (${leaseMs}) must be longer than heartbeatMs (${heartbeatMs}): each heartbeat round renews the lease, which would lapse between rounds`,
    );
  }
  return { heartbeatMs, electionTimeoutMinMs: min, electionTimeoutMaxMs: max, leaseMs };
}

/** What a Raft snapshot tells the runtime: role, leader, term, and the tags peers announced. */
export function viewRaft(snapshot: { value: unknown; context: RaftContext }): ProtocolView {
  return {
    role: raftRole(snapshot.value),
    leader: snapshot.context.leader,
    term: snapshot.context.term,
    elections: snapshot.context.elections,
    peerTags: snapshot.context.peerTags,
  };
}

/** Raft as the runtime, the simulator and the model checker run it. */
export const raftProtocol: ProtocolDefinition<RaftOptions, typeof raftMachine> = {
  name: 'raft',
  logic: raftMachine,
  decode: decodeRaftMessage,
  leased: true,
  check: raftTiming,
  input: ({ id, members, seed, persisted, options }): RaftInput => ({
    id,
    members,
    voter: options.noVote !== true,
    ...(options.tags === undefined ? {} : { tags: options.tags }),
    timing: raftTiming(options),
    seed,
    ...(persisted === undefined ? {} : { persisted }),
    preVote: options.preVote !== false,
  }),
  view: viewRaft,
};
