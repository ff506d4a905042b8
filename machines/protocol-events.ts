/**
 * What every protocol machine emits. The runtime (or the simulator) listens for these and
 * does the I/O the machine may not: sending, writing durable state, keeping the lease clock.
 */
export type Role = 'follower' | 'candidate' | 'leader';

/** Events every protocol machine emits for the runtime or the simulator to act on. */
export type ProtocolEmitted =
  /** Deliver `msg` to peer `to` (a peer id, or '*' for every peer). */
  | { type: 'send'; to: string; msg: unknown }
  | { type: 'role'; role: Role; term: number }
  | { type: 'leader'; leader: string | null; term: number }
  /**
   * Durable state that must reach stable storage before any `send` emitted after it in the
   * same step: a vote must never leave the node before the vote is on disk.
   */
  | { type: 'persist'; term: number; votedFor: string | null }
  /** A lease round began now; if granted, it lasts `durationMs` from this instant. */
  | { type: 'lease.start'; round: number; durationMs: number }
  /** A quorum acknowledged `round`: the lease runs until that round's start + durationMs. */
  | { type: 'lease.granted'; round: number }
  /** The lease ends now, whatever its deadline (step-down, resignation). */
  | { type: 'lease.revoked' };

/** Every protocol receives peers' messages as this event. */
export interface ReceiveEvent<M = unknown> {
  type: 'receive';
  from: string;
  msg: M;
}
