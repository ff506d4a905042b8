import type { AnyActorLogic, SnapshotFrom } from 'xstate';
import type { ProtocolView } from './protocol-view.js';
import type { Tags } from './raft/messages.js';

/** A member as every protocol sees it. */
export interface MemberSpec {
  id: string;
  voter?: boolean;
  tags?: Tags;
  /** Options for this member alone (a Bully pid, say), over the cluster-wide ones. */
  options?: Record<string, unknown>;
}

/** Durable state a protocol asks to keep across restarts (term and vote, for Raft). */
export interface DurableState {
  term: number;
  votedFor: string | null;
}

/**
 * Everything the runtime, the simulator and the model checker need to run one protocol:
 * its machine, its message validator, its options' checks, how to build its input, and how
 * to read its snapshot. How the runtime hosts it (transport, disk) is added in `src/`.
 */
export interface ProtocolDefinition<TOptions, TLogic extends AnyActorLogic = AnyActorLogic> {
  name: string;
  logic: TLogic;
  decode: (raw: unknown) => unknown | undefined;
  /**
   * Whether leadership is backed by a lease the machine renews (Raft); if not, the role the
   * machine reports is the whole answer.
   */
  leased: boolean;
  /**
   * Whether members may be found at run time (Bully on a multicast group, LES from its
   * seeds) rather than all listed up front.
   */
  discoversMembers?: boolean;
  /**
   * For protocols without a lease: how long a stop of the process (SIGSTOP, a GC pause)
   * may last before the node must hold off acting as leader, and for how long. A leader
   * that resumes after a longer pause may have been replaced; holding off gives its
   * announcements time to reach a newer leader, which then yields.
   */
  pauseGuard?(options: TOptions): { afterMs: number; holdMs: number };
  /** Throws a RangeError or TypeError naming the first bad option. */
  check(options: TOptions): void;
  input(args: {
    id: string;
    members: MemberSpec[];
    seed: number;
    persisted: DurableState | undefined;
    options: TOptions;
    /**
     * The host's wall clock in ms (the real one, the simulator's or the checker's), for a
     * protocol that stamps its start (LES seniority): the definition never reads a clock.
     */
    now: number;
  }): unknown;
  view(snapshot: SnapshotFrom<TLogic>): ProtocolView;
}
