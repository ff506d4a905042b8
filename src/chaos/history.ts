/**
 * What a fault run records. Every timestamp is milliseconds on the system-wide monotonic
 * clock (CLOCK_MONOTONIC, which network namespaces share and libfaketime is told to leave
 * alone), read by the process that saw the event, so events from different processes are
 * comparable without skew. A worker process is one `incarnation` of a node: it starts at 0
 * and goes up by one on every restart.
 */
export type ChaosProtocol = 'raft' | 'bully' | 'les' | 'kv';

/** The kinds of fault a run can inject. */
export type NemesisKind =
  | 'partition'
  | 'one-way'
  | 'loss'
  | 'delay'
  | 'pause'
  | 'kill'
  | 'restart'
  | 'clock'
  | 'disk'
  | 'store';

/** Every nemesis kind (`--nemesis` names some of them). */
export const NEMESES: readonly NemesisKind[] = [
  'partition',
  'one-way',
  'loss',
  'delay',
  'pause',
  'kill',
  'restart',
  'clock',
  'disk',
  'store',
];

interface NodeEvent {
  node: string;
  incarnation: number;
}

/**
 * One check of the leader-work signal that found it not aborted: the node acted as leader
 * at some instant in [t0, t1] (t0 read just before the check, t1 just after).
 */
export interface ClaimEvent extends NodeEvent {
  kind: 'claim';
  t0: number;
  t1: number;
  /** Fencing token the work carried: Raft term, KV fencing token, null when the protocol has none. */
  token: number | null;
}

/** A node reported itself elected, with its term and fencing token. */
export interface ElectedEvent extends NodeEvent {
  kind: 'elected';
  at: number;
  term: number | null;
  token: number | null;
}

/** A node reported that its leadership ended, and why. */
export interface DeposedEvent extends NodeEvent {
  kind: 'deposed';
  at: number;
  term: number | null;
  reason: string;
}

/** A write the fenced register received, stamped by the register on arrival. */
export interface WriteEvent extends NodeEvent {
  kind: 'write';
  at: number;
  token: number | null;
  accepted: boolean;
  /** The newest token the register had accepted before this write (null: none yet). */
  newest: number | null;
}

/** A vote this node sent (granted), as it left for the transport. PreVotes are not votes. */
export interface VoteEvent extends NodeEvent {
  kind: 'vote';
  at: number;
  term: number;
  candidate: string;
}

/** One poll of a node's `/diag`; `reachable: false` when the poll failed or timed out. */
export interface DiagEvent {
  kind: 'diag';
  node: string;
  at: number;
  reachable: boolean;
  role?: string;
  leader?: string | null;
  term?: number | null;
  isLeader?: boolean;
}

/** An `error` event a node reported. */
export interface ErrorEvent extends NodeEvent {
  kind: 'error';
  at: number;
  message: string;
}

/** One injected fault: its kind, variant, targets and window. */
export interface FaultEvent {
  kind: 'fault';
  id: number;
  nemesis: NemesisKind;
  /** For example 'leader-isolated', 'majority-minority', 'bridge', 'sigkill', 'forward 30s'. */
  variant: string;
  /** Nodes (or store members) the fault was applied to. */
  targets: string[];
  start: number;
  /** When the fault was healed (null: still active at the end of the run). */
  end: number | null;
  /** True when the fault happened in the kernel (nftables, signals, mounts), not in the worker. */
  networkLevel: boolean;
}

/**
 * Something that happened to a node's worker process: started, ready, stopped, continued, killed,
 * exited.
 */
export interface ProcessEvent extends NodeEvent {
  kind: 'process';
  at: number;
  what: 'start' | 'ready' | 'stop' | 'cont' | 'kill' | 'exit';
  /** On 'start': whether the node's data directory was kept from the previous incarnation. */
  data?: 'fresh' | 'kept' | 'wiped';
}

/** A memory sample of a node's worker process. */
export interface RssEvent extends NodeEvent {
  kind: 'rss';
  at: number;
  bytes: number;
  /**
   * V8 heap in use right after a full collection, on every tenth sample. RSS moves with
   * the allocator and the collector's timing; a leak shows here without that noise.
   */
  heapBytes?: number;
}

/** Any event of a fault run's history. */
export type ChaosEvent =
  | ClaimEvent
  | ElectedEvent
  | DeposedEvent
  | WriteEvent
  | VoteEvent
  | DiagEvent
  | ErrorEvent
  | FaultEvent
  | ProcessEvent
  | RssEvent;

/** Everything a fault run recorded: the run's settings and its events, in monotonic time. */
export interface ChaosHistory {
  protocol: ChaosProtocol;
  /** The store for kv runs ('etcd', 'etcd-cluster', 'zookeeper', 'zookeeper-ensemble', 'redis', 'postgres'). */
  store?: string;
  /** The store server's own version, as it reports it ('3.4.23'), when it does. */
  storeVersion?: string;
  seed: number;
  nodes: string[];
  /** Monotonic ms when the run started and ended. */
  start: number;
  end: number;
  /** The timing the nodes ran with, used for the recovery bound and the report. */
  timing: {
    /** After the last heal, one agreed leader must exist within this many ms. */
    recoveryBoundMs: number;
    /** The longest a leader may keep acting after it can no longer renew (lease or TTL). */
    leaseMs: number | null;
  };
  events: ChaosEvent[];
}
