import type { Role } from '../../machines/protocol-events.js';
import type { Tags } from '../../machines/raft/messages.js';
import type { DropReason } from '../../transports/types.js';

/** One member as this node knows it, in `ElectionStatus.members`. */
export interface MemberStatus {
  id: string;
  address: string;
  self: boolean;
  voter: boolean;
  tags: Tags;
  /** When this node last heard from the member (ms since the epoch), null if never. */
  lastContact: number | null;
}

/**
 * What `election.status()` returns, and `/diag` serves: this node's view of the election at this
 * moment.
 */
export interface ElectionStatus {
  id: string;
  protocol: string;
  role: Role;
  leader: string | null;
  /** Where to reach the leader and its pid (Bully). */
  leaderAddress?: string;
  leaderPid?: string;
  /** Every leader of the current round (entropy), in rank order. */
  leaders?: string[];
  term: number | undefined;
  /** True only while this node may act as leader (it holds a valid lease). */
  isLeader: boolean;
  /** Milliseconds left on the lease, when this node holds one. */
  leaseRemainingMs: number | null;
  /** The leader's fencing token while this node leads (kv): higher for every new holder. */
  fencingToken?: number;
  members: MemberStatus[];
  startedAt: string | null;
  /** Inbound frames thrown away, by reason. */
  dropped: Partial<Record<DropReason, number>>;
  messages: { sent: number; received: number };
  /** Candidacies this node started. */
  elections: number;
  /** Times this node became leader. */
  electionsWon?: number;
  /** Times the leader this node knows of became a different member. */
  leaderChanges?: number;
  errors: number;
  /**
   * An election group's node (`electorate node --elections`): the shared lease and every
   * election; the other fields are of its first election.
   */
  group?: {
    lease: string | null;
    elections: { name: string; role: Role; leader: string | null; token: number | null }[];
  };
}
