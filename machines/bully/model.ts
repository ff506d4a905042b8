import type { AnyStateMachine } from 'xstate';
import type { ClusterView, Invariant, NodeView, ProtocolModel, Rename } from '../protocol-model.js';
import { DEFAULT_BULLY_TIMING } from './definition.js';
import {
  type BullyContext,
  type BullyTiming,
  bullyMachine,
  bullyRole,
  comparePriority,
} from './machine.js';
import type { BullyMessage } from './messages.js';

/**
 * Bully under the checker. Node i has pid i + 1 (its position, as in the simulator), so
 * the last node outranks the rest; nodes are not interchangeable. A snapshot counts by its
 * state and the leader it follows: election counts and message tallies are statistics.
 */

interface BullySnapshot {
  value: unknown;
  context: BullyContext;
}

/** Timed timing, in ticks. */
export const TIMED_BULLY_TIMING: BullyTiming = {
  announceMs: 2,
  leaderTimeoutMs: 5,
  answerTimeoutMs: 2,
  coordinatorTimeoutMs: 4,
};

const pidOf = (ids: readonly string[], id: string) => String(ids.indexOf(id) + 1);

/** Every live node sits still (leading, or listening to a leader that is live and leads). */
function settledLeader(view: ClusterView): NodeView | undefined {
  const live = view.nodes.filter((n) => n.up);
  const leaderId = live[0]?.leader;
  if (leaderId === null || leaderId === undefined) return undefined;
  const leader = live.find((n) => n.id === leaderId);
  if (leader === undefined || leader.role !== 'leader') return undefined;
  for (const n of live) {
    if (n.leader !== leaderId) return undefined;
    const value = (n.snapshot as BullySnapshot).value;
    const still =
      n === leader
        ? typeof value === 'object' && value !== null && 'leader' in value
        : typeof value === 'object' && value !== null && 'follower' in value;
    if (!still) return undefined;
  }
  return leader;
}

export const highestLeadsWhenQuiet: Invariant = {
  name: 'once the network is quiet and the nodes settle, the highest live node leads',
  check(view: ClusterView) {
    if (view.inFlight.length > 0) return undefined;
    const leader = settledLeader(view);
    if (leader === undefined) return undefined;
    const rank = (n: NodeView) => (n.snapshot as BullySnapshot).context;
    let highest = leader;
    for (const n of view.nodes) {
      if (n.up && comparePriority(rank(n), rank(highest)) > 0) highest = n;
    }
    return highest === leader
      ? undefined
      : `every live node follows ${leader.id}, but ${highest.id} outranks it and is live`;
  },
};

/** Options of `bullyModel`: a variant machine, and a name for it. */
export interface BullyModelOptions {
  logic?: AnyStateMachine;
  name?: string;
}

/** The Bully protocol's model; pass `logic` to check a variant of its machine. */
export function bullyModel(options: BullyModelOptions = {}): ProtocolModel {
  return {
    name: options.name ?? 'bully',
    logic: options.logic ?? bullyMachine,
    input: ({ id, ids, timed }) => ({
      id,
      pid: pidOf(ids, id),
      address: id,
      timing: timed ? TIMED_BULLY_TIMING : DEFAULT_BULLY_TIMING,
      preempt: true,
    }),
    view: (s: BullySnapshot) => ({
      role: bullyRole(s.value),
      leader: s.context.leader?.id ?? null,
      term: s.context.rounds,
    }),
    abstract: (s: BullySnapshot, rename: Rename) => [
      s.value,
      s.context.leader === null ? null : rename(s.context.leader.id),
    ],
    invariants: [highestLeadsWhenQuiet],
    describe: (msg) => {
      const m = msg as BullyMessage;
      return `${m.type} pid=${m.pid}`;
    },
    defaults: { maxFaults: 1, maxInFlight: 6 },
  };
}
