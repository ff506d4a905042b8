import type { Role } from './protocol-events.js';
import type { Tags } from './raft/messages.js';

/** What the runtime, the simulator and the diag endpoint read from a protocol's snapshot. */
export interface ProtocolView {
  role: Role;
  leader: string | null;
  term: number | undefined;
  /** Where to reach the leader and its priority, for protocols that know them (Bully). */
  leaderAddress?: string;
  leaderPid?: string;
  /** Every leader of the current round, for protocols that elect several (entropy). */
  leaders?: string[];
  /** This node's fencing token while it leads, for protocols that issue one (kv). */
  fencingToken?: number;
  /** The members this node has learned of, for protocols that discover them (LES). */
  members?: string[];
  /** Candidacies (or rounds) this node started. */
  elections?: number;
  /** Tags members announced about themselves, by id (Raft). */
  peerTags?: Record<string, Tags>;
}
