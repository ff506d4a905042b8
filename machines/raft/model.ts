import type { AnyStateMachine } from 'xstate';
import {
  type ClusterView,
  describeMessage,
  type Invariant,
  type ProtocolModel,
  type Rename,
} from '../protocol-model.js';
import { raftTiming } from './definition.js';
import { type RaftContext, type RaftTiming, raftMachine, raftRole } from './machine.js';
import type { RaftMessage } from './messages.js';

/**
 * Raft's election under the checker.
 *
 * What counts in a snapshot: the state, the term, the vote, the leader followed, the
 * contact flag, and (only where they are read) a candidate's votes and a leader's rounds.
 * The seeded generator behind the randomized timeouts does not: untimed, a timer may fire
 * at any moment whatever its delay, so the draws change nothing but delays. Timed, delays
 * matter, so each node gets a fixed seed (its position) and the generator state is kept.
 *
 * Nodes are interchangeable up to their ids (nothing compares ids, except a resignation
 * choosing among equally current followers, which the checker never asks for).
 */

interface RaftSnapshot {
  value: unknown;
  context: RaftContext;
}

/** Untimed timing: only the order of events matters, so these are the defaults. */
const UNTIMED: RaftTiming = raftTiming({});
/** Timed timing, in ticks: small, so deadlines stay close and the space stays small. */
export const TIMED_RAFT_TIMING: RaftTiming = raftTiming({
  heartbeatMs: 2,
  electionTimeoutMs: [6, 8],
  leaseMs: 5,
});

/**
 * Heartbeat rounds a leader may send per term before the search stops following it.
 * Timed, the clock cannot pass a leader's next heartbeat once it is out of rounds, so a
 * lease check needs enough of them to outlast an election timeout.
 */
export const MAX_ROUNDS = { untimed: 2, timed: 5 };

interface RaftGhost {
  /** Terms this node led in. */
  led: number[];
  /** The first vote this node cast in each term it voted in: [term, candidate]. */
  votes: [number, string][];
  /** The highest term the node has been in (a term that went down shows against it). */
  top: number;
}

function abstractRaft(s: RaftSnapshot, rename: Rename, timed: boolean): unknown {
  const c = s.context;
  const role = raftRole(s.value);
  const name = (id: string | null) => (id === null ? null : rename(id));
  const out: unknown[] = [
    s.value,
    c.term,
    name(c.votedFor),
    name(c.leader),
    c.leaderContact,
    c.transfer,
  ];
  if (role === 'candidate') out.push(c.votes.map(rename).sort());
  if (role === 'leader') {
    const acked = c.config.peers.map((p, i) => [rename(p), c.lead.acked[i] ?? 0]).sort();
    out.push(c.lead.round, c.lead.pending, c.lead.leaseRound, c.lead.checkRound, acked);
  }
  if (timed) out.push(c.rng, c.electionTimeoutMs);
  return out;
}

const ghost = {
  initial: { led: [], votes: [], top: 0 } as RaftGhost,
  update(g: RaftGhost, s: RaftSnapshot): RaftGhost {
    const c = s.context;
    let next = c.term > g.top ? { ...g, top: c.term } : g;
    if (raftRole(s.value) === 'leader' && !g.led.includes(c.term)) {
      next = { ...next, led: [...g.led, c.term].sort((a, b) => a - b) };
    }
    if (c.votedFor !== null && !g.votes.some(([t]) => t === c.term)) {
      next = {
        ...next,
        votes: [...g.votes, [c.term, c.votedFor] as [number, string]].sort((a, b) => a[0] - b[0]),
      };
    }
    return next;
  },
  rename(g: RaftGhost, rename: Rename): unknown {
    return [g.led, g.votes.map(([t, v]) => [t, rename(v)]), g.top];
  },
  // The vote invariant reads the first vote of the node's current term alone, and terms
  // never go down (one that does breaks that invariant, against `top`), so the votes of
  // the terms a node has left are never read again. Who led which term stays: another
  // node may still lead a term this one has left.
  forget(g: RaftGhost, s: RaftSnapshot): RaftGhost {
    const term = s.context.term;
    if (g.votes.every(([t]) => t >= term)) return g;
    return { ...g, votes: g.votes.filter(([t]) => t >= term) };
  },
};

export const oneLeaderPerTerm: Invariant = {
  name: 'at most one leader per term',
  nodesOnly: true,
  check(view: ClusterView) {
    const seen = new Map<number, string>();
    for (const n of view.nodes) {
      for (const term of (n.ghost as RaftGhost).led) {
        const other = seen.get(term);
        if (other !== undefined) return `${other} and ${n.id} both led term ${term}`;
        seen.set(term, n.id);
      }
    }
    return undefined;
  },
};

export const voteNeverChanges: Invariant = {
  name: 'a vote never changes within a term',
  nodesOnly: true,
  check(view: ClusterView) {
    for (const n of view.nodes) {
      if (!n.up || n.snapshot === undefined) continue;
      const c = (n.snapshot as RaftSnapshot).context;
      const g = n.ghost as RaftGhost;
      if (g.top > c.term) return `${n.id} went back from term ${g.top} to term ${c.term}`;
      if (c.votedFor === null) continue;
      const first = g.votes.find(([t]) => t === c.term);
      if (first !== undefined && first[1] !== c.votedFor) {
        return `${n.id} voted for ${first[1]} and then for ${c.votedFor} in term ${c.term}`;
      }
    }
    return undefined;
  },
};

export const oneLeaseHolder: Invariant = {
  name: 'at most one valid lease',
  timedOnly: true,
  nodesOnly: true,
  check(view: ClusterView) {
    const holders = view.nodes.filter((n) => n.up && n.leaseValid).map((n) => n.id);
    return holders.length > 1 ? `${holders.join(' and ')} hold a lease at once` : undefined;
  },
};

/** Options of `raftModel`. */
export interface RaftModelOptions {
  /** A variant of the machine (made with `raftMachine.provide(...)`, say). */
  logic?: AnyStateMachine;
  /** Timing for timed mode, in ticks (checked only by the machine itself). */
  timedTiming?: RaftTiming;
  preVote?: boolean;
  name?: string;
  /** Heartbeat rounds per term (see MAX_ROUNDS). */
  maxRounds?: number;
}

/** The Raft model; pass `logic` to check a variant of its machine. */
export function raftModel(options: RaftModelOptions = {}): ProtocolModel {
  const timedTiming = options.timedTiming ?? TIMED_RAFT_TIMING;
  return {
    name: options.name ?? 'raft',
    logic: options.logic ?? raftMachine,
    input: ({ id, ids, persisted, timed }) => ({
      id,
      members: ids.map((m) => ({ id: m })),
      timing: timed ? timedTiming : UNTIMED,
      seed: timed ? ids.indexOf(id) + 1 : 0,
      preVote: options.preVote !== false,
      ...(persisted === undefined ? {} : { persisted }),
    }),
    view: (s: RaftSnapshot) => ({
      role: raftRole(s.value),
      leader: s.context.leader,
      term: s.context.term,
    }),
    abstract: abstractRaft,
    withinBounds: (s: RaftSnapshot, bounds) =>
      s.context.term <= bounds.maxTerm &&
      s.context.lead.round <=
        (options.maxRounds ?? (bounds.timed ? MAX_ROUNDS.timed : MAX_ROUNDS.untimed)),
    obsolete: (msg: RaftMessage, receiver) => {
      const isResponse =
        msg.type === 'preVoteResponse' ||
        msg.type === 'voteResponse' ||
        msg.type === 'heartbeatResponse';
      if (!isResponse) return false;
      const snap = receiver.snapshot as RaftSnapshot | undefined;
      const term = snap?.context.term ?? receiver.durable?.term ?? 0;
      // Every guard that reads a response wants its term at or above the receiver's,
      // and a node's term never goes down (it is on disk before anything leaves).
      return msg.term < term;
    },
    ghost,
    invariants: [oneLeaderPerTerm, voteNeverChanges, oneLeaseHolder],
    symmetric: true,
    leased: true,
    defaults: { maxTerm: 3, maxFaults: 1, maxInFlight: 2 },
    describe: describeMessage,
  };
}
