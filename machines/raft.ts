import { and, assign, cancel, emit, enqueueActions, not, raise, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent, Role } from './protocol-events.js';
import { MAX_TERM, type RaftMessage, type Tags } from './raft-messages.js';
import { drawBetween } from './seeded-random.js';

/**
 * Raft's leader election without the log: terms, one durable vote per term, randomized
 * timeouts, PreVote, CheckQuorum with a leader lease, non-voting members and leadership
 * transfer (TimeoutNow). Like etcd's raft it is a pure state machine: messages arrive as
 * `receive` events, leave as emitted `send` events, and time only passes through delays.
 */

export interface RaftMember {
  id: string;
  /** Non-voting members follow and report the leader but never vote and never stand. */
  voter?: boolean;
  tags?: Tags;
}

/** A Raft node's timing, in milliseconds. */
export interface RaftTiming {
  heartbeatMs: number;
  electionTimeoutMinMs: number;
  electionTimeoutMaxMs: number;
  /** How long a quorum's acknowledgement keeps the lease; must be below the minimum timeout. */
  leaseMs: number;
}

/** What a Raft machine is started with. */
export interface RaftInput {
  id: string;
  /** Every member of the cluster; this node's own entry is optional and ignored. */
  members: RaftMember[];
  /** Whether this node votes and may stand (default true). */
  voter?: boolean;
  tags?: Tags;
  timing: RaftTiming;
  /** Seeds the generator behind the randomized election timeouts. */
  seed: number;
  /** Term and vote recovered from stable storage after a restart. */
  persisted?: { term: number; votedFor: string | null };
  /** Disable the PreVote phase (on by default). */
  preVote?: boolean;
}

/** Events a Raft machine takes: peers' messages, `resign`, and its own timer events. */
export type RaftEvent =
  | ReceiveEvent<RaftMessage>
  | { type: 'resign' }
  | { type: 'contact.lapse' }
  | { type: 'election.timeout' }
  | { type: 'heartbeat.due' }
  | { type: 'quorum.check' };

/** A heartbeat round still short of a quorum: how many voters acknowledged it so far. */
interface PendingRound {
  round: number;
  acks: number;
}

/** What a node is told at start and never changes. */
export interface RaftConfig {
  id: string;
  voter: boolean;
  /** Every other member, voters and non-voters. */
  peers: string[];
  /** Every other voting member. */
  voters: string[];
  /** Each peer's position in `peers`; voting flags by the same position. */
  index: Record<string, number>;
  votes: boolean[];
  /** Voters needed for a decision, this node included when it votes. */
  quorum: number;
  preVote: boolean;
  tags: Tags;
  timing: RaftTiming;
}

/** What only a leader keeps: heartbeat rounds, their acknowledgements and the lease. */
export interface LeaderState {
  round: number;
  pending: PendingRound[];
  leaseRound: number;
  /** The last round sent before the latest quorum check: later acks prove a voter is live. */
  checkRound: number;
  /**
   * The latest round counted from each peer, by its position in `config.peers`: enough to
   * count live voters, to ignore duplicates, and to find the most responsive follower. An
   * ack with nothing new in it (see `ackWithNothingNew`) is not counted.
   */
  acked: number[];
}

/*
 * The context keeps few top-level keys on purpose: XState copies it on every assign, and
 * V8 turns copies of objects with many keys into slow dictionaries.
 */
/**
 * A Raft machine's context: its configuration, term, vote, leader, votes, and (while it leads) its
 * heartbeat rounds and lease.
 */
export interface RaftContext {
  config: RaftConfig;
  peerTags: Record<string, Tags>;
  rng: number;
  electionTimeoutMs: number;
  term: number;
  votedFor: string | null;
  leader: string | null;
  /**
   * Heard from a live leader within the minimum election timeout (or just started). While
   * true this node refuses to help depose that leader: the basis of the leader's lease.
   */
  leaderContact: boolean;
  /** Voters that granted the current pre-vote or vote, this node included. */
  votes: string[];
  /** The current candidacy was asked for by the leader (TimeoutNow), so it may skip leases. */
  transfer: boolean;
  lead: LeaderState;
  /** Candidacies (real votes, not pre-votes) this node has started. */
  elections: number;
}

const MAX_PENDING_ROUNDS = 8;
const NO_LEAD: LeaderState = { round: 0, pending: [], leaseRound: 0, checkRound: 0, acked: [] };

/** Every action that restarts a follower's election clock after news from a leader or candidate. */
const RESTART_ELECTION_CLOCK = [
  'cancelContactTimer',
  'cancelCandidacyTimer',
  'armContactTimer',
] as const;
/** One heartbeat round, from the timer that asks for it to the timer for the next. */
const NEXT_ROUND = ['nextRound', 'startLease', 'broadcastHeartbeat', 'armHeartbeatTimer'] as const;

type Receive = ReceiveEvent<RaftMessage>;
const isReceive = (e: RaftEvent): e is Receive => e.type === 'receive';
const msgOf = (e: RaftEvent): RaftMessage | undefined => (isReceive(e) ? e.msg : undefined);

function withTags<M extends RaftMessage>(context: RaftContext, msg: M): M {
  // Every message passes here: look for a key without building the list of them.
  for (const _ in context.config.tags) return { ...msg, tags: context.config.tags };
  return msg;
}

/**
 * Peer id → position, in a prototype-less object: no inherited keys to mistake for members,
 * and V8 builds it as a plain hash table instead of a hidden class per key sequence.
 */
function indexOf(peers: RaftMember[]): Record<string, number> {
  const index: Record<string, number> = Object.create(null);
  peers.forEach((m, i) => {
    index[m.id] = i;
  });
  return index;
}

/** A peer's position, or undefined for a sender that is not a member (own keys only). */
function peerIndex(context: RaftContext, id: string): number | undefined {
  return Object.hasOwn(context.config.index, id) ? context.config.index[id] : undefined;
}

function isVoterPeer(context: RaftContext, id: string): boolean {
  const at = peerIndex(context, id);
  return at !== undefined && context.config.votes[at] === true;
}

/** Voters that acknowledged a round sent after the last quorum check. */
function liveVoters(context: RaftContext): number {
  const { votes } = context.config;
  const { acked, checkRound } = context.lead;
  let live = 0;
  for (let i = 0; i < votes.length; i++) if (votes[i] && (acked[i] ?? 0) > checkRound) live++;
  return live;
}

/** The sender's position, for a heartbeat response of this term from a member. */
function ackedPeer(context: RaftContext, event: RaftEvent): number | undefined {
  const m = msgOf(event);
  if (m?.type !== 'heartbeatResponse' || m.term !== context.term) return undefined;
  return peerIndex(context, (event as Receive).from);
}

function ackRound(event: RaftEvent): number {
  return ((event as Receive).msg as Extract<RaftMessage, { type: 'heartbeatResponse' }>).round;
}

function pendingRound(context: RaftContext, round: number): PendingRound | undefined {
  return context.lead.pending.find((p) => p.round === round);
}

/** A copy of the leader's state with `round` as the latest counted from the peer at `at`. */
function acknowledged(lead: LeaderState, at: number, round: number): LeaderState {
  const acked = lead.acked.slice();
  acked[at] = round;
  return { ...lead, acked };
}

/** Adds the sender's tags to an assignment when they are new. */
function withPeerTags(
  context: RaftContext,
  e: Receive,
  update: Partial<RaftContext>,
): Partial<RaftContext> {
  const peerTags = learnTags(context, e);
  return peerTags === context.peerTags ? update : { ...update, peerTags };
}

function inLease(context: RaftContext): boolean {
  return context.leaderContact || context.leader === context.config.id;
}

function learnTags(context: RaftContext, e: Receive): Record<string, Tags> {
  const tags = e.msg.tags;
  if (tags === undefined) return context.peerTags;
  const known = context.peerTags[e.from];
  if (known !== undefined && JSON.stringify(known) === JSON.stringify(tags))
    return context.peerTags;
  return { ...context.peerTags, [e.from]: tags };
}

/**
 * The Raft-style election as a pure statechart: peers' messages arrive as `receive` events, and it
 * emits `send`, `role`, `leader`, lease and persistence events.
 */
export const raftMachine = setup({
  types: {
    context: {} as RaftContext,
    events: {} as RaftEvent,
    input: {} as RaftInput,
    emitted: {} as ProtocolEmitted,
  },
  delays: {
    electionTimeout: ({ context }) => context.electionTimeoutMs,
    electionTimeoutMin: ({ context }) => context.config.timing.electionTimeoutMinMs,
    heartbeatInterval: ({ context }) => context.config.timing.heartbeatMs,
  },
  guards: {
    fromMember: ({ context, event }) =>
      isReceive(event) && peerIndex(context, event.from) !== undefined,
    isVoter: ({ context }) => context.config.voter,
    /**
     * A voter may stand only below the last term: a candidacy at MAX_TERM would need a term
     * no peer accepts. No real cluster gets there (see MAX_WIRE_COUNTER); the guard keeps the
     * arithmetic exact if one is ever started there by hand.
     */
    mayStand: ({ context }) => context.config.voter && context.term < MAX_TERM,
    preVoteEnabled: ({ context }) => context.config.preVote,
    hasQuorum: ({ context }) => context.votes.length >= context.config.quorum,
    quorumActive: ({ context }) => liveVoters(context) + 1 >= context.config.quorum,
    /**
     * A message only a voter can rightly send (a leader's heartbeat, a candidate's request,
     * a leader's transfer) from a member configured as a non-voter: a misconfigured or
     * forged peer, ignored so it can never lead or force an election.
     */
    voterMessageFromNonVoter: ({ context, event }) => {
      const m = msgOf(event);
      if (m === undefined) return false;
      const voterOnly =
        m.type === 'heartbeat' ||
        m.type === 'preVote' ||
        m.type === 'vote' ||
        m.type === 'timeoutNow';
      return voterOnly && !isVoterPeer(context, (event as Receive).from);
    },
    /** A heartbeat from the leader of this term or a later one. */
    currentHeartbeat: ({ context, event }) => {
      const m = msgOf(event);
      if (m?.type !== 'heartbeat') return false;
      return (
        m.term > context.term || (m.term === context.term && context.leader !== context.config.id)
      );
    },
    /**
     * Another leader's heartbeat in this very term. Election safety rules this out while
     * every vote survives restarts; when one did not, both leaders would go on forever,
     * each renewed by followers that ack them both. Stepping down ends it: the next
     * election runs in a later term.
     */
    rivalLeaderHeartbeat: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'heartbeat' &&
        m.term === context.term &&
        isVoterPeer(context, (event as Receive).from)
      );
    },
    staleHeartbeat: ({ context, event }) => {
      const m = msgOf(event);
      return m?.type === 'heartbeat' && m.term < context.term;
    },
    isPreVote: ({ event }) => msgOf(event)?.type === 'preVote',
    /**
     * A vote this node may grant: it votes, the leader it follows is not (as far as it
     * knows) alive unless the leader itself asked for the election, the term is current or
     * newer, and it has not voted for anyone else in that term.
     */
    grantableVote: ({ context, event }) => {
      const m = msgOf(event);
      if (m?.type !== 'vote' || !context.config.voter) return false;
      if (inLease(context) && !m.transfer) return false;
      if (m.term > context.term) return true;
      const from = (event as Receive).from;
      return (
        m.term === context.term &&
        context.leader !== context.config.id &&
        (context.votedFor === null || context.votedFor === from)
      );
    },
    /** A vote to refuse out loud (stale term or already voted), rather than ignore. */
    refusableVote: ({ context, event }) => {
      const m = msgOf(event);
      return m?.type === 'vote' && context.config.voter && m.term <= context.term;
    },
    higherTermResponse: ({ context, event }) => {
      const m = msgOf(event);
      if (m === undefined || m.term <= context.term) return false;
      if (m.type === 'preVoteResponse') return !m.granted;
      return m.type === 'voteResponse' || m.type === 'heartbeatResponse';
    },
    timeoutNowFromLeader: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'timeoutNow' &&
        context.config.voter &&
        context.term < MAX_TERM &&
        m.term === context.term &&
        (event as Receive).from === context.leader
      );
    },
    preVoteGranted: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'preVoteResponse' &&
        m.granted &&
        m.term === context.term + 1 &&
        isVoterPeer(context, (event as Receive).from)
      );
    },
    voteGranted: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'voteResponse' &&
        m.granted &&
        m.term === context.term &&
        isVoterPeer(context, (event as Receive).from)
      );
    },
    /** Same leader, same term, contact unbroken, no transfer, no new tags: nothing to learn. */
    heartbeatFromLeader: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'heartbeat' &&
        m.term === context.term &&
        context.leader !== null &&
        context.leader !== context.config.id &&
        (event as Receive).from === context.leader &&
        context.leaderContact &&
        !context.transfer &&
        learnTags(context, event as Receive) === context.peerTags
      );
    },
    alone: ({ context }) => context.config.quorum <= 1,
    /**
     * An ack with nothing new in it: one already counted or overtaken by a later one, or one
     * for a round whose lease is already granted. Ignoring these saves a context copy on most
     * acks and loses nothing. The lease needs one quorum per round. CheckQuorum needs a
     * quorum of voters heard after the last check: an ack for a round sent before the check
     * proves nothing, and a granted round sent after it had a quorum acking it already.
     */
    ackWithNothingNew: ({ context, event }) => {
      const at = ackedPeer(context, event);
      if (at === undefined) return false;
      const round = ackRound(event);
      return round <= (context.lead.acked[at] ?? 0) || round <= context.lead.leaseRound;
    },
    /**
     * The ack that brings its round to a quorum, and so renews the lease. Checked after
     * `ackWithNothingNew`, so the ack is new and its round has no lease yet.
     */
    leaseCompletingAck: ({ context, event }) => {
      const at = ackedPeer(context, event);
      if (at === undefined || !context.config.votes[at]) return false;
      const entry = pendingRound(context, ackRound(event));
      return entry !== undefined && entry.acks + 2 >= context.config.quorum;
    },
    currentHeartbeatResponse: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'heartbeatResponse' &&
        m.term === context.term &&
        peerIndex(context, (event as Receive).from) !== undefined
      );
    },
  },
  actions: {
    announceRole: emit(({ context }, params: { role: Role }) => ({
      type: 'role' as const,
      role: params.role,
      term: context.term,
    })),
    drawElectionTimeout: assign(({ context }) => {
      const { state, value } = drawBetween(
        context.rng,
        context.config.timing.electionTimeoutMinMs,
        context.config.timing.electionTimeoutMaxMs,
      );
      return { rng: state, electionTimeoutMs: value };
    }),
    /**
     * A vote round needs one round trip, not a whole election timeout: a candidate that
     * split the vote with another gives up after a short random wait, so one of the two
     * soon runs again and wins. No lease is at stake here, since every voter's contact with
     * the old leader has already lapsed.
     */
    drawVoteTimeout: assign(({ context }) => {
      const { heartbeatMs, electionTimeoutMinMs, electionTimeoutMaxMs } = context.config.timing;
      const spread = Math.max(electionTimeoutMaxMs - electionTimeoutMinMs, heartbeatMs);
      const { state, value } = drawBetween(context.rng, heartbeatMs, heartbeatMs + spread);
      return { rng: state, electionTimeoutMs: value };
    }),
    loseContact: assign({ leaderContact: false }),
    /**
     * Restarts the follower's clock: contact with the leader lapses after the minimum
     * timeout, and the rest of the randomized timeout runs on from there. Built-in actions
     * made once, not an `enqueueActions` per call: this runs on every heartbeat.
     */
    cancelContactTimer: cancel('contact'),
    cancelCandidacyTimer: cancel('election'),
    armContactTimer: raise(
      { type: 'contact.lapse' },
      { id: 'contact', delay: 'electionTimeoutMin' },
    ),
    /**
     * The rest of the randomized timeout runs on from the moment contact lapsed, drawn
     * afresh each time: a draw kept from start-up would leave the survivors of a leader's
     * crash with exactly the long timeouts that lost the previous election.
     */
    armCandidacyTimer: enqueueActions(({ context, enqueue }) => {
      const { electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = context.config.timing;
      const { state, value } = drawBetween(context.rng, min, max);
      enqueue.assign({ rng: state, electionTimeoutMs: value });
      enqueue.raise({ type: 'election.timeout' }, { id: 'election', delay: value - min });
    }),
    forgetLeader: enqueueActions(({ context, enqueue }) => {
      if (context.leader === null) return;
      enqueue.assign({ leader: null });
      enqueue.emit({ type: 'leader', leader: null, term: context.term });
    }),
    /** A message from a later term: follow it, with no vote cast in it yet. */
    adoptTerm: enqueueActions(({ context, event, enqueue }) => {
      const m = msgOf(event);
      if (m === undefined || m.term <= context.term) return;
      enqueue.assign({ term: m.term, votedFor: null, leader: null, transfer: false });
      enqueue.emit({ type: 'persist', term: m.term, votedFor: null });
      if (context.leader !== null) enqueue.emit({ type: 'leader', leader: null, term: m.term });
    }),
    /** A heartbeat that changes what this node knows: a new term, leader or tags. */
    followHeartbeat: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Receive;
      const m = e.msg as Extract<RaftMessage, { type: 'heartbeat' }>;
      const newTerm = m.term > context.term;
      enqueue.assign({
        term: m.term,
        votedFor: newTerm ? null : context.votedFor,
        leader: e.from,
        leaderContact: true,
        transfer: false,
        peerTags: learnTags(context, e),
      });
      if (newTerm) enqueue.emit({ type: 'persist', term: m.term, votedFor: null });
      if (context.leader !== e.from) enqueue.emit({ type: 'leader', leader: e.from, term: m.term });
    }),
    answerHeartbeat: emit(({ context, event }) => {
      const e = event as Receive;
      const m = e.msg as Extract<RaftMessage, { type: 'heartbeat' }>;
      return {
        type: 'send' as const,
        to: e.from,
        msg: withTags(context, { type: 'heartbeatResponse', term: m.term, round: m.round }),
      };
    }),
    answerStaleMessage: emit(({ context, event }) => ({
      type: 'send' as const,
      to: (event as Receive).from,
      msg: withTags(context, { type: 'heartbeatResponse', term: context.term, round: 0 }),
    })),
    answerPreVote: emit(({ context, event }) => {
      const e = event as Receive;
      const granted = context.config.voter && e.msg.term > context.term && !inLease(context);
      return {
        type: 'send' as const,
        to: e.from,
        msg: withTags(context, {
          type: 'preVoteResponse',
          term: granted ? e.msg.term : context.term,
          granted,
        }),
      };
    }),
    /** Record the vote, then send it: the persist is emitted first so it hits disk first. */
    grantVote: enqueueActions(({ context, event, enqueue }) => {
      const e = event as Receive;
      const term = e.msg.term;
      if (term > context.term && context.leader !== null) {
        enqueue.emit({ type: 'leader', leader: null, term });
      }
      enqueue.assign({
        term,
        votedFor: e.from,
        leader: term > context.term ? null : context.leader,
        transfer: term > context.term ? false : context.transfer,
        leaderContact: false,
        peerTags: learnTags(context, e),
      });
      enqueue.emit({ type: 'persist', term, votedFor: e.from });
      enqueue.emit({
        type: 'send',
        to: e.from,
        msg: withTags(context, { type: 'voteResponse', term, granted: true }),
      });
    }),
    refuseVote: emit(({ context, event }) => ({
      type: 'send' as const,
      to: (event as Receive).from,
      msg: withTags(context, { type: 'voteResponse', term: context.term, granted: false }),
    })),
    startPreVote: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({ votes: [context.config.id], leaderContact: false, transfer: false });
      for (const to of context.config.voters) {
        enqueue.emit({
          type: 'send',
          to,
          msg: withTags(context, { type: 'preVote', term: context.term + 1 }),
        });
      }
    }),
    countVote: assign({
      votes: ({ context, event }) => {
        const from = (event as Receive).from;
        return context.votes.includes(from) ? context.votes : [...context.votes, from];
      },
    }),
    beginTransfer: assign({ transfer: true }),
    startVote: enqueueActions(({ context, enqueue }) => {
      const term = context.term + 1;
      enqueue.assign({
        term,
        votedFor: context.config.id,
        votes: [context.config.id],
        leaderContact: false,
        elections: context.elections + 1,
      });
      enqueue.emit({ type: 'persist', term, votedFor: context.config.id });
      if (context.leader !== null) {
        enqueue.assign({ leader: null });
        enqueue.emit({ type: 'leader', leader: null, term });
      }
      for (const to of context.config.voters) {
        enqueue.emit({
          type: 'send',
          to,
          msg: withTags(context, { type: 'vote', term, transfer: context.transfer }),
        });
      }
    }),
    becomeLeader: enqueueActions(({ context, enqueue }) => {
      enqueue.assign({
        leader: context.config.id,
        leaderContact: false,
        transfer: false,
        // Packed zeros, not holes: V8 keeps the array fast to copy on every ack.
        lead: { ...NO_LEAD, acked: context.config.peers.map(() => 0) },
      });
      enqueue.emit({ type: 'leader', leader: context.config.id, term: context.term });
    }),
    /** The next heartbeat round: its lease starts now, whatever the acks will say. */
    nextRound: assign({
      lead: ({ context }) => {
        const lead = context.lead;
        const round = lead.round + 1;
        // Alone, a leader is its own quorum: each round grants its own lease at once.
        if (context.config.quorum <= 1) return { ...lead, round, leaseRound: round, pending: [] };
        const pending = [...lead.pending, { round, acks: 0 }].slice(-MAX_PENDING_ROUNDS);
        return { ...lead, round, pending };
      },
    }),
    startLease: emit(({ context }) => ({
      type: 'lease.start' as const,
      round: context.lead.round,
      durationMs: context.config.timing.leaseMs,
    })),
    broadcastHeartbeat: emit(({ context }) => ({
      type: 'send' as const,
      to: '*',
      msg: withTags(context, { type: 'heartbeat', term: context.term, round: context.lead.round }),
    })),
    armHeartbeatTimer: raise(
      { type: 'heartbeat.due' },
      { id: 'heartbeat', delay: 'heartbeatInterval' },
    ),
    grantLease: emit(({ context }) => ({
      type: 'lease.granted' as const,
      round: context.lead.leaseRound,
    })),
    /** Count a new acknowledgement toward CheckQuorum and toward its round's lease. */
    recordAck: assign(({ context, event }) => {
      const e = event as Receive;
      const round = ackRound(event);
      const at = context.config.index[e.from]!;
      const lead = acknowledged(context.lead, at, round);
      if (context.config.votes[at] && pendingRound(context, round) !== undefined) {
        lead.pending = lead.pending.map((p) =>
          p.round === round ? { round, acks: p.acks + 1 } : p,
        );
      }
      return withPeerTags(context, e, { lead });
    }),
    /** The acknowledgement that completes its round's quorum: the lease runs from that round. */
    takeLease: assign(({ context, event }) => {
      const e = event as Receive;
      const round = ackRound(event);
      const lead = acknowledged(context.lead, context.config.index[e.from]!, round);
      lead.leaseRound = round;
      lead.pending = lead.pending.filter((p) => p.round > round);
      return withPeerTags(context, e, { lead });
    }),
    startQuorumWindow: assign({
      lead: ({ context }) => ({ ...context.lead, checkRound: context.lead.round }),
    }),
    revokeLease: emit({ type: 'lease.revoked' as const }),
    armQuorumCheck: raise({ type: 'quorum.check' }, { id: 'quorum', delay: 'electionTimeoutMin' }),
    cancelQuorumCheck: cancel('quorum'),
    cancelHeartbeatTimer: cancel('heartbeat'),
    beatNow: raise({ type: 'heartbeat.due' }),
    /**
     * Hand leadership to the voter with the latest counted ack (the one that most recently
     * helped a round to its quorum, so the most likely to be reachable) by telling it to
     * stand at once, then stop leading.
     */
    transferLeadership: enqueueActions(({ context, enqueue }) => {
      let target: string | undefined;
      let best = 0;
      for (const id of context.config.voters) {
        const acked = context.lead.acked[context.config.index[id]!] ?? 0;
        if (acked > best || (acked === best && acked > 0 && target !== undefined && id < target)) {
          best = acked;
          target = id;
        }
      }
      if (target !== undefined) {
        enqueue.emit({
          type: 'send',
          to: target,
          msg: withTags(context, { type: 'timeoutNow', term: context.term }),
        });
      }
      enqueue.assign({ leader: null });
      enqueue.emit({ type: 'leader', leader: null, term: context.term });
    }),
  },
}).createMachine({
  id: 'raft',
  context: ({ input }) => {
    const peers = input.members.filter((m) => m.id !== input.id);
    const voters = peers.filter((m) => m.voter !== false).map((m) => m.id);
    const voter = input.voter !== false;
    const peerTags: Record<string, Tags> = {};
    for (const m of peers) if (m.tags !== undefined) peerTags[m.id] = m.tags;
    return {
      config: {
        id: input.id,
        voter,
        peers: peers.map((m) => m.id),
        voters,
        index: indexOf(peers),
        votes: peers.map((m) => m.voter !== false),
        quorum: Math.floor((voters.length + (voter ? 1 : 0)) / 2) + 1,
        preVote: input.preVote !== false,
        tags: input.tags ?? {},
        timing: input.timing,
      },
      peerTags,
      rng: input.seed | 0,
      electionTimeoutMs: input.timing.electionTimeoutMaxMs,
      term: input.persisted?.term ?? 0,
      votedFor: input.persisted?.votedFor ?? null,
      leader: null,
      // A node that just (re)started may have acknowledged a leader a moment ago: it
      // refuses to help depose anyone until a full minimum timeout has passed.
      leaderContact: true,
      votes: [],
      transfer: false,
      lead: NO_LEAD,
      elections: 0,
    };
  },
  initial: 'follower',
  on: {
    receive: [
      { guard: not('fromMember') },
      { guard: 'voterMessageFromNonVoter' },
      {
        guard: 'currentHeartbeat',
        target: '.follower',
        actions: ['followHeartbeat', 'answerHeartbeat'],
      },
      { guard: 'staleHeartbeat', actions: 'answerStaleMessage' },
      { guard: 'isPreVote', actions: 'answerPreVote' },
      { guard: 'grantableVote', target: '.follower', actions: 'grantVote' },
      { guard: 'refusableVote', actions: 'refuseVote' },
      { guard: 'higherTermResponse', target: '.follower', actions: 'adoptTerm' },
      { guard: 'timeoutNowFromLeader', target: '.campaign.vote', actions: 'beginTransfer' },
    ],
  },
  states: {
    follower: {
      entry: [{ type: 'announceRole', params: { role: 'follower' } }, 'armContactTimer'],
      exit: ['cancelContactTimer', 'cancelCandidacyTimer'],
      on: {
        receive: [
          // The steady state first: the leader this node follows, again, with nothing new.
          {
            guard: 'heartbeatFromLeader',
            actions: ['answerHeartbeat', 'cancelContactTimer', 'armContactTimer'],
          },
          { guard: not('fromMember') },
          { guard: 'voterMessageFromNonVoter' },
          {
            guard: 'currentHeartbeat',
            actions: ['followHeartbeat', 'answerHeartbeat', ...RESTART_ELECTION_CLOCK],
          },
          { guard: 'grantableVote', actions: ['grantVote', ...RESTART_ELECTION_CLOCK] },
          { guard: 'higherTermResponse', actions: 'adoptTerm' },
        ],
        'contact.lapse': { actions: ['loseContact', 'armCandidacyTimer'] },
        'election.timeout': [
          { guard: and(['mayStand', 'preVoteEnabled']), target: '#raft.campaign' },
          { guard: 'mayStand', target: '#raft.campaign.vote' },
          { actions: ['loseContact', 'forgetLeader'] },
        ],
      },
    },
    campaign: {
      entry: { type: 'announceRole', params: { role: 'candidate' } },
      initial: 'preVote',
      states: {
        preVote: {
          entry: ['drawElectionTimeout', 'startPreVote'],
          always: { guard: 'hasQuorum', target: 'vote' },
          on: {
            receive: { guard: 'preVoteGranted', actions: 'countVote' },
          },
          after: { electionTimeout: { target: 'preVote', reenter: true } },
        },
        vote: {
          entry: ['drawVoteTimeout', 'startVote'],
          always: { guard: 'hasQuorum', target: '#raft.leader' },
          on: {
            receive: { guard: 'voteGranted', actions: 'countVote' },
          },
          after: {
            electionTimeout: [
              { guard: not('mayStand'), target: '#raft.follower' },
              { guard: 'preVoteEnabled', target: 'preVote' },
              { target: 'vote', reenter: true },
            ],
          },
        },
      },
    },
    leader: {
      entry: [
        'becomeLeader',
        { type: 'announceRole', params: { role: 'leader' } },
        'armQuorumCheck',
        'beatNow',
      ],
      exit: ['revokeLease', 'cancelHeartbeatTimer', 'cancelQuorumCheck'],
      on: {
        receive: [
          { guard: 'ackWithNothingNew' },
          { guard: 'leaseCompletingAck', actions: ['takeLease', 'grantLease'] },
          { guard: 'currentHeartbeatResponse', actions: 'recordAck' },
          { guard: 'rivalLeaderHeartbeat', target: 'follower', actions: 'forgetLeader' },
        ],
        resign: { target: 'follower', actions: 'transferLeadership' },
        'heartbeat.due': [
          { guard: 'alone', actions: [...NEXT_ROUND, 'grantLease'] },
          { actions: NEXT_ROUND },
        ],
        'quorum.check': [
          { guard: 'quorumActive', actions: ['startQuorumWindow', 'armQuorumCheck'] },
          { target: 'follower', actions: 'forgetLeader' },
        ],
      },
    },
  },
});

export type RaftMachine = typeof raftMachine;

/** The role a raft snapshot stands for. */
export function raftRole(value: unknown): Role {
  if (value === 'leader') return 'leader';
  if (typeof value === 'object' && value !== null && 'campaign' in value) return 'candidate';
  return 'follower';
}
