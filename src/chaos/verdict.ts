import type { ChaosEvent, NemesisKind } from './history.js';

/** The rules the checker judges a history by; each names a kind of violation. */
export type ViolationRule =
  | 'overlap'
  | 'stale-leader-after-pause'
  | 'token-regressed'
  | 'token-shared'
  | 'stale-write-accepted'
  | 'two-leaders-one-term'
  | 'double-vote'
  | 'no-recovery'
  | 'memory-growth'
  | 'disk-error-unreported'
  | 'voted-without-disk';

/** One broken rule, with the events that prove it quoted in `message` and kept in `events`. */
export interface Violation {
  rule: ViolationRule;
  message: string;
  /** Monotonic ms where the timeline marks it. */
  at: number;
  nodes: string[];
  events: ChaosEvent[];
  /** Ids of the faults active (or healing) at `at`. */
  faults: number[];
}

/** An overlap the protocol never promised to prevent: reported, but the run still passes. */
export interface NotPromised {
  rule: 'overlap';
  message: string;
  at: number;
  nodes: string[];
  events: ChaosEvent[];
  faults: number[];
  /** Why it is outside the protocol's promise. */
  reason: string;
}

/**
 * One fault as the checker saw it: who led, whether the fault took the leader, and how long
 * recovery took.
 */
export interface FaultStats {
  id: number;
  nemesis: NemesisKind;
  variant: string;
  targets: string[];
  start: number;
  end: number | null;
  /** Made in the kernel (nftables, signals, mounts) rather than inside the worker. */
  networkLevel: boolean;
  /** The node leading when the fault began (null: nobody was). */
  leaderAtStart: string | null;
  /** The fault took that leader away: it was a target, or its tenure ended inside the window. */
  tookLeader: boolean;
  /** From the fault's start to the first claim by another node (only when `tookLeader`). */
  timeToNewLeaderMs: number | null;
  /** From the heal to the first moment every reachable node agreed on a claiming leader. */
  recoveryMs: number | null;
  /** Time inside the fault window with no claim by anyone. */
  unavailableMs: number;
}

/** Memory growth of one worker process after warm-up. */
export interface MemoryStats {
  node: string;
  incarnation: number;
  /** RSS at the first sample after warm-up. */
  warmBytes: number;
  endBytes: number;
  warmAt: number;
  endAt: number;
  /** Heap after a full collection, first sample after warm-up and last (when sampled). */
  warmHeapBytes?: number;
  endHeapBytes?: number;
}

/**
 * A node restarted without its data directory, and the votes it cast again in terms it had voted
 * in.
 */
export interface WipedRestart {
  node: string;
  incarnation: number;
  at: number;
  /** Votes after the wipe in a term the node had voted in for someone else before it. */
  revotes: string[];
}

/** Figures of a whole run: claims, tenures, writes, availability, faults and memory. */
export interface ChaosStats {
  durationMs: number;
  claims: number;
  tenures: number;
  /** Widest claim seen (max t1 - t0): no overlap narrower than this can be told from none. */
  resolutionMs: number;
  medianClaimSpacingMs: number | null;
  /** Claim gaps wider than this count as unavailable. */
  gapThresholdMs: number | null;
  writes: { accepted: number; rejected: number };
  errorsByNode: Record<string, number>;
  faults: FaultStats[];
  /** Time with no claim by anyone over the whole run. */
  unavailableMs: number;
  recovery: { from: number; agreedAt: number | null; leader: string | null } | null;
  memory: MemoryStats[];
  wipedRestarts: WipedRestart[];
}

/** What `checkHistory` concludes: ok when no violation was found. */
export interface ChaosVerdict {
  ok: boolean;
  violations: Violation[];
  notPromised: NotPromised[];
  stats: ChaosStats;
}
