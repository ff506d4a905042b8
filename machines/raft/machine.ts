import { and, assign, cancel, emit, enqueueActions, not, raise, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent, Role } from '../protocol-events.js';
import { drawBetween } from '../seeded-random.js';
import { MAX_TERM, type RaftMessage, type Tags } from './messages.js';

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

/**
 * One message of one kind, as the machine handles it once `receive` has checked its sender
 * and applied the rule for terms: `receive` raises one of these per message.
 */
export type RaftMessageEvent = {
  [K in RaftMessage['type']]: { type: K; from: string; msg: Extract<RaftMessage, { type: K }> };
}[RaftMessage['type']];

/**
 * Events a Raft machine takes: peers' messages (as `receive`, from any transport), `resign`,
 * its own timer events, and the per-kind message events `receive` raises.
 */
export type RaftEvent =
  | ReceiveEvent<RaftMessage>
  | RaftMessageEvent
  /** Step down, handing over to `to` if it is a voter, else to the likeliest reachable voter. */
  | { type: 'resign'; to?: string }
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
type MessageOf<K extends RaftMessage['type']> = Extract<RaftMessageEvent, { type: K }>;
/** The message a `receive` carries (the guards on `receive` see nothing else). */
const received = (e: RaftEvent): RaftMessage => (e as Receive).msg;
const sender = (e: RaftEvent): string => (e as Receive | RaftMessageEvent).from;

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

/** The sender's position among the peers (every message that reaches a handler has one). */
function senderIndex(context: RaftContext, event: MessageOf<'heartbeatResponse'>): number {
  return context.config.index[event.from]!;
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
  e: Receive | RaftMessageEvent,
  update: Partial<RaftContext>,
): Partial<RaftContext> {
  const peerTags = learnTags(context, e);
  return peerTags === context.peerTags ? update : { ...update, peerTags };
}

/**
 * Within the lease a node gives its leader (it heard from one within the minimum election
 * timeout, or it is the leader): it helps depose no one (§6 of the dissertation).
 */
function inLease(context: RaftContext): boolean {
  return context.leaderContact || context.leader === context.config.id;
}

function learnTags(context: RaftContext, e: Receive | RaftMessageEvent): Record<string, Tags> {
  const tags = e.msg.tags;
  if (tags === undefined) return context.peerTags;
  const known = context.peerTags[e.from];
  if (known !== undefined && JSON.stringify(known) === JSON.stringify(tags))
    return context.peerTags;
  return { ...context.peerTags, [e.from]: tags };
}

/** Messages only a voter may send: a leader's heartbeat, a candidate's request, a transfer. */
const VOTER_ONLY = new Set<RaftMessage['type']>(['heartbeat', 'preVote', 'vote', 'timeoutNow']);

/**
 * Whether a message from a later term moves this node to that term (Figure 2: "if an RPC
 * request or response contains term T > currentTerm, set currentTerm = T and convert to
 * follower"), with the exceptions PreVote (§9.6) and the leader's lease (§6) make:
 * - a pre-vote request or a granted pre-vote answer speaks of a term nobody has entered;
 * - a vote request is ignored whole, term and all, by a node still in its leader's lease
 *   (unless the leader itself asked for the election) and by a node that does not vote;
 * - a transfer request only counts from the leader of this very term.
 */
function movesTerm(context: RaftContext, m: RaftMessage): boolean {
  if (m.term <= context.term) return false;
  switch (m.type) {
    case 'preVote':
    case 'timeoutNow':
      return false;
    case 'preVoteResponse':
      return !m.granted;
    case 'vote':
      return context.config.voter && (!inLease(context) || m.transfer);
    default:
      return true;
  }
}

/** What a leader does with an ack of its term, on the general path and the shortcut alike. */
const ON_ACK = [
  { guard: 'ackWithNothingNew' },
  { guard: 'leaseCompletingAck', actions: ['takeLease', 'grantLease'] },
  { actions: 'recordAck' },
] as const;

/**
 * The machine's performance shortcuts, all of them. A cluster at rest carries two kinds of
 * message: a leader's heartbeat to a follower of its term, and the follower's ack. Both
 * are taken on `receive` itself, which skips the microstep that raises a per-kind event;
 * each runs exactly the guards and actions the general path would. In the simulator (5
 * nodes, warm, median of 8 seeds) this is worth about a quarter of the delivered messages
 * per second: without the leader's ack shortcut the machine ran at 0.79× the speed it had
 * with every message on one `receive` list; with it, see docs/performance.md.
 */
const STEADY_STATE = {
  follower: {
    guard: 'heartbeatFromLeader',
    actions: ['answerHeartbeat', 'cancelContactTimer', 'armContactTimer'],
  },
  // ON_ACK, each branch behind the check the general path makes before it raises.
  leader: [
    { guard: and(['ackOfThisTerm', 'ackWithNothingNew']) },
    { guard: and(['ackOfThisTerm', 'leaseCompletingAck']), actions: ['takeLease', 'grantLease'] },
    { guard: 'ackOfThisTerm', actions: 'recordAck' },
  ],
} as const;

/**
 * The Raft-style election as a pure statechart. `receive` applies the rules that hold in
 * every role, then raises the message as an event of its own kind, handled per role:
 * - a message from a non-member, or one only a voter may send from a non-voter, is dropped;
 * - a message from an older term is answered with this node's term if it is a request (so
 *   its sender learns it is behind) and dropped if it is a response (§5.1);
 * - a message from a later term moves this node to that term, as a follower with no vote
 *   cast and no leader known, before it is handled (see `movesTerm`).
 * The steady state of a cluster at rest is answered on `receive` itself: see STEADY_STATE.
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
    fromNonMember: ({ context, event }) => peerIndex(context, sender(event)) === undefined,
    /** A misconfigured or forged peer, ignored so it can never lead or force an election. */
    voterMessageFromNonVoter: ({ context, event }) =>
      VOTER_ONLY.has(received(event).type) && !isVoterPeer(context, sender(event)),
    fromOlderTerm: ({ context, event }) => received(event).term < context.term,
    fromLaterTerm: ({ context, event }) => movesTerm(context, received(event)),
    /**
     * The follower's steady state (see STEADY_STATE): same leader, same term, contact
     * unbroken, no transfer, no new tags, so nothing to learn.
     */
    heartbeatFromLeader: ({ context, event }) => {
      const m = received(event);
      return (
        m.type === 'heartbeat' &&
        m.term === context.term &&
        context.leader !== null &&
        sender(event) === context.leader &&
        context.leaderContact &&
        !context.transfer &&
        learnTags(context, event as Receive) === context.peerTags
      );
    },
    /** An ack of this term from a member: the leader's steady state (see ACK_SHORTCUT). */
    ackOfThisTerm: ({ context, event }) => {
      const m = received(event);
      return (
        m.type === 'heartbeatResponse' &&
        m.term === context.term &&
        peerIndex(context, sender(event)) !== undefined
      );
    },
    mayStand: ({ context }) => context.config.voter && context.term < MAX_TERM,
    preVoteEnabled: ({ context }) => context.config.preVote,
    hasQuorum: ({ context }) => context.votes.length >= context.config.quorum,
    quorumActive: ({ context }) => liveVoters(context) + 1 >= context.config.quorum,
    /**
     * A vote this node may grant (terms above its own were adopted already): it votes, the
     * leader it follows is not (as far as it knows) alive unless the leader itself asked for
     * the election, it is not the leader, and it has voted for no one else in this term.
     */
    grantableVote: ({ context, event }) => {
      const { msg, from } = event as MessageOf<'vote'>;
      return (
        context.config.voter &&
        (!inLease(context) || msg.transfer) &&
        msg.term === context.term &&
        context.leader !== context.config.id &&
        (context.votedFor === null || context.votedFor === from)
      );
    },
    /** A vote to refuse out loud (already voted, or this node leads), rather than ignore. */
    refusableVote: ({ context, event }) =>
      context.config.voter && (event as MessageOf<'vote'>).msg.term <= context.term,
    /**
     * The leader of this term asks this node to stand at once (leadership transfer, §3.10).
     * A voter may stand only below the last term: a candidacy at MAX_TERM would need a term
     * no peer accepts. No real cluster gets there (see MAX_WIRE_COUNTER).
     */
    transferFromLeader: ({ context, event }) => {
      const { msg, from } = event as MessageOf<'timeoutNow'>;
      return (
        context.config.voter &&
        context.term < MAX_TERM &&
        msg.term === context.term &&
        from === context.leader
      );
    },
    preVoteGranted: ({ context, event }) => {
      const { msg, from } = event as MessageOf<'preVoteResponse'>;
      return msg.granted && msg.term === context.term + 1 && isVoterPeer(context, from);
    },
    voteGranted: ({ context, event }) => {
      const { msg, from } = event as MessageOf<'voteResponse'>;
      return msg.granted && msg.term === context.term && isVoterPeer(context, from);
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
      const e = event as MessageOf<'heartbeatResponse'>;
      const round = e.msg.round;
      return (
        round <= (context.lead.acked[senderIndex(context, e)] ?? 0) ||
        round <= context.lead.leaseRound
      );
    },
    /**
     * The ack that brings its round to a quorum, and so renews the lease. Checked after
     * `ackWithNothingNew`, so the ack is new and its round has no lease yet.
     */
    leaseCompletingAck: ({ context, event }) => {
      const e = event as MessageOf<'heartbeatResponse'>;
      if (!context.config.votes[senderIndex(context, e)]) return false;
      const entry = pendingRound(context, e.msg.round);
      return entry !== undefined && entry.acks + 2 >= context.config.quorum;
    },
  },
  actions: {
    /** Hands a checked message to the handler for its kind, in the same step. */
    dispatch: raise(({ event }) => {
      const { from, msg } = event as Receive;
      return { type: msg.type, from, msg } as RaftMessageEvent;
    }),
    /**
     * An older term's request is answered with this node's term, so its sender learns it is
     * behind: a stale leader's heartbeat with an ack it will step down on, a vote or pre-vote
     * with a refusal. An older term's response is dropped.
     */
    answerOlderTerm: enqueueActions(({ context, event, enqueue }) => {
      const to = sender(event);
      const m = received(event);
      const { term } = context;
      let reply: RaftMessage | undefined;
      if (m.type === 'heartbeat') reply = { type: 'heartbeatResponse', term, round: 0 };
      else if (m.type === 'preVote') reply = { type: 'preVoteResponse', term, granted: false };
      else if (m.type === 'vote' && context.config.voter) {
        reply = { type: 'voteResponse', term, granted: false };
      }
      if (reply !== undefined) enqueue.emit({ type: 'send', to, msg: withTags(context, reply) });
    }),
    /** The one rule for a later term: adopt it, with no vote cast in it and no leader known. */
    adoptTerm: enqueueActions(({ context, event, enqueue }) => {
      const { term } = received(event);
      enqueue.assign({ term, votedFor: null, leader: null, transfer: false });
      enqueue.emit({ type: 'persist', term, votedFor: null });
      if (context.leader !== null) enqueue.emit({ type: 'leader', leader: null, term });
    }),
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
    /** A heartbeat of this term: its sender leads, and contact with it is fresh. */
    followHeartbeat: enqueueActions(({ context, event, enqueue }) => {
      const e = event as MessageOf<'heartbeat'>;
      enqueue.assign({
        leader: e.from,
        leaderContact: true,
        transfer: false,
        peerTags: learnTags(context, e),
      });
      if (context.leader !== e.from)
        enqueue.emit({ type: 'leader', leader: e.from, term: e.msg.term });
    }),
    answerHeartbeat: emit(({ context, event }) => {
      const e = event as Receive | MessageOf<'heartbeat'>;
      const m = e.msg as Extract<RaftMessage, { type: 'heartbeat' }>;
      return {
        type: 'send' as const,
        to: e.from,
        msg: withTags(context, { type: 'heartbeatResponse', term: m.term, round: m.round }),
      };
    }),
    /** §9.6: granted only for a later term, by a voter that has no live leader. */
    answerPreVote: emit(({ context, event }) => {
      const { from, msg } = event as MessageOf<'preVote'>;
      const granted = context.config.voter && msg.term > context.term && !inLease(context);
      return {
        type: 'send' as const,
        to: from,
        msg: withTags(context, {
          type: 'preVoteResponse',
          term: granted ? msg.term : context.term,
          granted,
        }),
      };
    }),
    /** Record the vote, then send it: the persist is emitted first so it hits disk first. */
    grantVote: enqueueActions(({ context, event, enqueue }) => {
      const e = event as MessageOf<'vote'>;
      const { term } = context;
      enqueue.assign({ votedFor: e.from, leaderContact: false, peerTags: learnTags(context, e) });
      enqueue.emit({ type: 'persist', term, votedFor: e.from });
      enqueue.emit({
        type: 'send',
        to: e.from,
        msg: withTags(context, { type: 'voteResponse', term, granted: true }),
      });
    }),
    refuseVote: emit(({ context, event }) => ({
      type: 'send' as const,
      to: sender(event),
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
        const from = sender(event);
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
      const e = event as MessageOf<'heartbeatResponse'>;
      const round = e.msg.round;
      const at = senderIndex(context, e);
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
      const e = event as MessageOf<'heartbeatResponse'>;
      const round = e.msg.round;
      const lead = acknowledged(context.lead, senderIndex(context, e), round);
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
     * Hand leadership to the voter asked for (etcd's transferee), or else to the voter with
     * the latest counted ack (the one that most recently helped a round to its quorum, so
     * the most likely to be reachable), by telling it to stand at once, then stop leading.
     */
    transferLeadership: enqueueActions(({ context, event, enqueue }) => {
      const asked = (event as { to?: string }).to;
      let target = asked !== undefined && context.config.voters.includes(asked) ? asked : undefined;
      let best = 0;
      for (const id of target === undefined ? context.config.voters : []) {
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
    // The rules for every role, in this order; then the message's own handler.
    receive: [
      { guard: 'fromNonMember' },
      { guard: 'voterMessageFromNonVoter' },
      { guard: 'fromOlderTerm', actions: 'answerOlderTerm' },
      { guard: 'fromLaterTerm', target: '.follower', actions: ['adoptTerm', 'dispatch'] },
      { actions: 'dispatch' },
    ],
    // Handlers every role shares; a role's own come first.
    preVote: { actions: 'answerPreVote' },
    vote: [
      { guard: 'grantableVote', target: '.follower', actions: 'grantVote' },
      { guard: 'refusableVote', actions: 'refuseVote' },
    ],
    // A candidate hears from the leader of its term: it lost, and follows.
    heartbeat: { target: '.follower', actions: ['followHeartbeat', 'answerHeartbeat'] },
    timeoutNow: { guard: 'transferFromLeader', target: '.campaign.vote', actions: 'beginTransfer' },
  },
  states: {
    follower: {
      entry: [{ type: 'announceRole', params: { role: 'follower' } }, 'armContactTimer'],
      exit: ['cancelContactTimer', 'cancelCandidacyTimer'],
      on: {
        receive: STEADY_STATE.follower,
        heartbeat: { actions: ['followHeartbeat', 'answerHeartbeat', ...RESTART_ELECTION_CLOCK] },
        vote: { guard: 'grantableVote', actions: ['grantVote', ...RESTART_ELECTION_CLOCK] },
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
            preVoteResponse: { guard: 'preVoteGranted', actions: 'countVote' },
          },
          after: { electionTimeout: { target: 'preVote', reenter: true } },
        },
        vote: {
          entry: ['drawVoteTimeout', 'startVote'],
          always: { guard: 'hasQuorum', target: '#raft.leader' },
          on: {
            voteResponse: { guard: 'voteGranted', actions: 'countVote' },
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
        receive: STEADY_STATE.leader,
        heartbeatResponse: ON_ACK,
        /**
         * Another leader in this very term. Election safety rules this out while every vote
         * survives restarts; when one did not, both leaders would go on forever, each renewed
         * by followers that ack them both. Stepping down ends it: the next election runs in a
         * later term.
         */
        heartbeat: { target: 'follower', actions: 'forgetLeader' },
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
