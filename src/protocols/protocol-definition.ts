import type { AnyActorLogic, SnapshotFrom } from 'xstate';
import type { Tags } from '../../machines/raft/messages.js';
import type { HostedElection } from './hosted-election.js';
import type { ProtocolView } from './protocol-view.js';

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
 * Everything the runtime and the simulator need to run one protocol: its machine, its
 * message validator, how to build its input, and how to read its snapshot.
 */
export interface ProtocolDefinition<
  TOptions,
  TLogic extends AnyActorLogic = AnyActorLogic,
  TElectionOptions = never,
> {
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
  }): unknown;
  view(snapshot: SnapshotFrom<TLogic>): ProtocolView;
  /**
   * How `createElection` hosts it: members, edge actor, durable state and the rest, from the
   * election's options (checked already). The simulator and the checker bring their own.
   */
  hosted?(options: TElectionOptions): HostedElection;
}
