import type { Role } from '../../../machines/index.js';
import type { RaftOptions } from '../../../machines/raft/definition.js';
import type { TransportLogic } from '../../../transports/types.js';
import type { ChangeEvent, DeposeReason, Election, PeerConfig } from '../../runtime/election.js';
import type { StateCallbacks } from '../../runtime/state-callbacks.js';
import type { GroupDropReason } from './batch.js';
import type { PeerTraffic } from './group-link.js';

export type { GroupDropReason, PeerTraffic };

/** Options of `createRaftGroup`: Raft's options, shared by every election of the group. */
export interface RaftGroupOptions extends RaftOptions {
  /** This member's id, the same in every election. */
  id: string;
  /** Every member, this one included or not: each election runs among all of them. */
  peers: PeerConfig[];
  /** The one transport all elections share (one connection per peer). */
  transport: TransportLogic;
  /**
   * The elections' names: 1 to 64 letters, digits, '.', '_' or '-', starting with a letter or
   * a digit, each once. Every member must run an election under the same name for it to take
   * part.
   */
  elections: string[];
  /** Keep each election's term and vote in a subdirectory of this one, named after it. */
  dataDir?: string;
  /** goelect's state callbacks for one election, asked once per election. */
  callbacks?: (election: string) => StateCallbacks | undefined;
  /** How long a callback may run before it is reported as an error (default 5000 ms). */
  callbackTimeoutMs?: number;
  /** Seeds the elections' timeouts (election i gets seed + i; default: random). */
  seed?: number;
  /** The transport's largest frame, if it was set below the default of 1 MiB. */
  maxFrameBytes?: number;
  /**
   * Spread leadership over the members alive: none leads more than ceil(elections / alive),
   * a leader over that hands elections over at once by TimeoutNow, each to the member it
   * prefers by rendezvous hashing (default false: whoever wins keeps it).
   */
  spread?: boolean;
}

/** One election of a group, as `status().elections` lists it. */
export interface RaftGroupElectionStatus {
  name: string;
  role: Role;
  leader: string | null;
  term: number | null;
  /** True only while this member holds the election's lease. */
  isLeader: boolean;
}

/** What `group.status()` returns: every election, and what the shared link carried. */
export interface RaftGroupStatus {
  id: string;
  /** Every election, in the order the options named them. */
  elections: RaftGroupElectionStatus[];
  /** How many elections this member leads now (holding the lease). */
  leading: number;
  /** Heartbeat ticks of the shared clock so far: frames at rest are counted per tick. */
  ticks: number;
  /** Frames and messages to and from each peer. */
  peers: PeerTraffic[];
  /** Inbound frames and entries thrown away at the shared link, by reason. */
  dropped: Partial<Record<GroupDropReason, number>>;
  /** Errors of every election and of the link so far. */
  errors: number;
}

/** The events a `RaftGroup` emits: each election's, with its name. */
export interface RaftGroupEvents {
  change: ChangeEvent & { election: string };
  elected: { election: string; term: number | undefined; signal: AbortSignal };
  deposed: { election: string; term: number | undefined; reason: DeposeReason };
  /** `election` is undefined for a failure of what they share (the transport). */
  error: { election: string | undefined; error: Error };
}

/** Many Raft elections among the same members, over one transport and one heartbeat clock. */
export interface RaftGroup {
  /** Starts the transport, then every election; rejects if the transport cannot start. */
  start(): Promise<void>;
  /** Stops every election (leaders hand over first), then the transport. */
  stop(): Promise<void>;
  /** Hands over every election this member leads. */
  resign(): Promise<void>;
  /** The election of this name, with its own events, signal and status; throws for others. */
  election(name: string): Election;
  /** The elections' names, in the order the options gave them. */
  readonly names: readonly string[];
  /** Every election's role, leader and term, and the shared link's counts. */
  status(): RaftGroupStatus;
  /** Adds a listener for every election's events; returns a function that removes it. */
  on<K extends keyof RaftGroupEvents>(
    type: K,
    listener: (event: RaftGroupEvents[K]) => void,
  ): () => void;
  /** Removes a listener added with `on`. */
  off<K extends keyof RaftGroupEvents>(
    type: K,
    listener: (event: RaftGroupEvents[K]) => void,
  ): void;
}
