import { describe, expect, it } from 'vitest';
import { type AnyEventObject, initialTransition, transition } from 'xstate';
import type { ProtocolEmitted } from '../../machines/protocol-events.js';
import { type RaftInput, raftMachine, raftRole } from '../../machines/raft/machine.js';
import { MAX_TERM, type RaftMessage } from '../../machines/raft/messages.js';
import { NodeHost } from '../../src/runtime/node-host.js';

type Snapshot = ReturnType<typeof initialTransition<typeof raftMachine>>[0];
interface Action {
  type: string;
  params?: Record<string, unknown>;
}

const timing = {
  heartbeatMs: 50,
  electionTimeoutMinMs: 150,
  electionTimeoutMaxMs: 300,
  leaseMs: 135,
};

function input(overrides: Partial<RaftInput> = {}): RaftInput {
  return {
    id: 'n1',
    members: [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }],
    timing,
    seed: 7,
    ...overrides,
  };
}

/** A machine driven by the pure transition function: every step's actions are kept. */
class Driver {
  snapshot: Snapshot;
  actions: Action[];
  /** Delayed events raised and not yet cancelled, by id. */
  timers = new Map<string, { event: AnyEventObject; delay: number }>();

  constructor(i: RaftInput) {
    const [s, a] = initialTransition(raftMachine, i);
    this.snapshot = s;
    this.actions = a as Action[];
    this.track();
  }

  send(event: AnyEventObject): ProtocolEmitted[] {
    const [s, a] = transition(raftMachine, this.snapshot, event as never);
    this.snapshot = s;
    this.actions = a as Action[];
    this.track();
    return this.emitted();
  }

  receive(from: string, msg: RaftMessage): ProtocolEmitted[] {
    return this.send({ type: 'receive', from, msg });
  }

  /** Fires the pending timer whose event type contains `name` (as the clock would). */
  fire(name: string): ProtocolEmitted[] {
    for (const [id, t] of this.timers) {
      if (id.includes(name) || t.event.type.includes(name)) {
        this.timers.delete(id);
        return this.send(t.event);
      }
    }
    throw new Error(`no pending timer matching ${name}: ${[...this.timers.keys()].join(', ')}`);
  }

  /** Lets the follower's whole randomized timeout pass. */
  timeout(): ProtocolEmitted[] {
    if (this.timers.has('contact')) this.fire('contact');
    return this.fire('election.timeout');
  }

  emitted(): ProtocolEmitted[] {
    return this.actions
      .filter((a) => a.type === 'xstate.emit')
      .map((a) => a.params?.event as ProtocolEmitted);
  }

  sends(): { to: string; msg: RaftMessage }[] {
    return this.emitted().flatMap((e) =>
      e.type === 'send' ? [{ to: e.to, msg: e.msg as RaftMessage }] : [],
    );
  }

  get role() {
    return raftRole(this.snapshot.value);
  }

  get context() {
    return this.snapshot.context;
  }

  private track() {
    for (const a of this.actions) {
      if (a.type === 'xstate.cancel') this.timers.delete(String(a.params?.sendId));
      if (a.type === 'xstate.raise' && typeof a.params?.delay === 'number') {
        this.timers.set(String(a.params.id), {
          event: a.params.event as AnyEventObject,
          delay: a.params.delay,
        });
      }
    }
  }
}

/** Drives n1 of a 3-node cluster to leadership in term 1. */
function leaderDriver(i: Partial<RaftInput> = {}, voters = ['n2']): Driver {
  const d = new Driver(input(i));
  d.timeout();
  for (const v of voters) d.receive(v, { type: 'preVoteResponse', term: 1, granted: true });
  for (const v of voters) d.receive(v, { type: 'voteResponse', term: 1, granted: true });
  expect(d.role).toBe('leader');
  return d;
}

describe('raftMachine (pure transitions)', () => {
  it('starts as a follower with a randomized timeout inside the configured range', () => {
    const d = new Driver(input());
    expect(d.role).toBe('follower');
    expect(d.timers.get('contact')?.delay).toBe(150);
    d.fire('contact');
    const rest = d.timers.get('election')?.delay ?? -1;
    expect(rest).toBeGreaterThanOrEqual(0);
    expect(rest).toBeLessThanOrEqual(150);
  });

  it('draws a fresh timeout each time contact lapses', () => {
    const d = new Driver(input());
    const draws = new Set<number>();
    for (let i = 0; i < 5; i++) {
      d.receive('n2', { type: 'heartbeat', term: 1, round: i + 1 });
      d.fire('contact');
      draws.add(d.context.electionTimeoutMs);
    }
    expect(draws.size).toBeGreaterThan(1);
  });

  it('draws different timeouts for different seeds and the same for the same seed', () => {
    const draw = (seed: number) => {
      const d = new Driver(input({ seed }));
      d.fire('contact');
      return d.context.electionTimeoutMs;
    };
    const delays = [1, 2, 3, 4, 5, 6].map(draw);
    expect(new Set(delays).size).toBeGreaterThan(1);
    expect(draw(3)).toBe(delays[2]);
  });

  it('recovers term and vote from durable state', () => {
    const d = new Driver(input({ persisted: { term: 9, votedFor: 'n3' } }));
    expect(d.context.term).toBe(9);
    expect(d.context.votedFor).toBe('n3');
    // Already voted for n3 in term 9: a vote request from n2 for term 9 is refused.
    d.fire('contact');
    const out = d.receive('n2', { type: 'vote', term: 9, transfer: false });
    expect(out).toContainEqual({
      type: 'send',
      to: 'n2',
      msg: { type: 'voteResponse', term: 9, granted: false },
    });
  });

  it('never stands at the last term, so its arithmetic stays exact', () => {
    for (const preVote of [true, false]) {
      const d = new Driver(input({ persisted: { term: MAX_TERM, votedFor: null }, preVote }));
      expect(d.timeout()).toEqual([]);
      expect(d.role).toBe('follower');
      expect(d.context.term).toBe(MAX_TERM);
      d.receive('n2', { type: 'heartbeat', term: MAX_TERM, round: 1 });
      expect(d.receive('n2', { type: 'timeoutNow', term: MAX_TERM })).toEqual([]);
      expect(d.role).toBe('follower');
    }
    // One below the bound it may still stand once, and a failed vote ends as a follower.
    const d = new Driver(
      input({ persisted: { term: MAX_TERM - 1, votedFor: null }, preVote: false }),
    );
    d.timeout();
    expect(d.context.term).toBe(MAX_TERM);
    d.fire('election');
    expect(d.role).toBe('follower');
    expect(d.context.term).toBe(MAX_TERM);
  });

  it('runs a pre-vote first, without raising its term', () => {
    const d = new Driver(input());
    d.timeout();
    expect(d.role).toBe('candidate');
    expect(d.context.term).toBe(0);
    expect(d.sends()).toEqual([
      { to: 'n2', msg: { type: 'preVote', term: 1 } },
      { to: 'n3', msg: { type: 'preVote', term: 1 } },
    ]);
  });

  it('persists its own vote before asking for votes', () => {
    const d = new Driver(input());
    d.timeout();
    const out = d.receive('n3', { type: 'preVoteResponse', term: 1, granted: true });
    const persistAt = out.findIndex((e) => e.type === 'persist');
    const firstSend = out.findIndex((e) => e.type === 'send');
    expect(out[persistAt]).toEqual({ type: 'persist', term: 1, votedFor: 'n1' });
    expect(persistAt).toBeLessThan(firstSend);
    expect(d.context.term).toBe(1);
  });

  it('becomes leader on a quorum, starts a lease round and heartbeats everyone', () => {
    const d = new Driver(input());
    d.timeout();
    d.receive('n2', { type: 'preVoteResponse', term: 1, granted: true });
    const out = d.receive('n2', { type: 'voteResponse', term: 1, granted: true });
    expect(d.role).toBe('leader');
    expect(out).toContainEqual({ type: 'leader', leader: 'n1', term: 1 });
    expect(out).toContainEqual({ type: 'lease.start', round: 1, durationMs: 135 });
    expect(out).toContainEqual({
      type: 'send',
      to: '*',
      msg: { type: 'heartbeat', term: 1, round: 1 },
    });
  });

  it('grants the lease when a quorum acknowledges a round, once', () => {
    const d = leaderDriver();
    const out = d.receive('n3', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(out).toContainEqual({ type: 'lease.granted', round: 1 });
    const again = d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(again.filter((e) => e.type === 'lease.granted')).toEqual([]);
  });

  it('ignores duplicate and stale acknowledgements', () => {
    const d = leaderDriver({ members: [1, 2, 3, 4, 5].map((i) => ({ id: `n${i}` })) }, [
      'n2',
      'n3',
    ]);
    // 5 members: the leader needs two more acks for round 1.
    d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    const dup = d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(dup.some((e) => e.type === 'lease.granted')).toBe(false);
    const out = d.receive('n3', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(out).toContainEqual({ type: 'lease.granted', round: 1 });
  });

  it('refuses pre-votes and ignores votes while it hears from a live leader', () => {
    const d = new Driver(input());
    d.receive('n2', { type: 'heartbeat', term: 3, round: 1 });
    const pre = d.receive('n3', { type: 'preVote', term: 4 });
    expect(pre).toContainEqual({
      type: 'send',
      to: 'n3',
      msg: { type: 'preVoteResponse', term: 3, granted: false },
    });
    const vote = d.receive('n3', { type: 'vote', term: 4, transfer: false });
    expect(vote).toEqual([]);
    expect(d.context.term).toBe(3);
  });

  it('grants a pre-vote and then a vote once the leader has gone quiet', () => {
    const d = new Driver(input());
    d.receive('n2', { type: 'heartbeat', term: 3, round: 1 });
    d.fire('contact');
    const pre = d.receive('n3', { type: 'preVote', term: 4 });
    expect(pre).toContainEqual({
      type: 'send',
      to: 'n3',
      msg: { type: 'preVoteResponse', term: 4, granted: true },
    });
    expect(d.context.term).toBe(3);
    const vote = d.receive('n3', { type: 'vote', term: 4, transfer: false });
    // The later term is adopted (no vote in it), then the vote cast: through the host, one
    // write for both, before the vote leaves.
    expect(vote.filter((e) => e.type === 'persist')).toEqual([
      { type: 'persist', term: 4, votedFor: null },
      { type: 'persist', term: 4, votedFor: 'n3' },
    ]);
    const done: string[] = [];
    const host = new NodeHost(
      { now: () => 0 },
      {
        send: (to) => done.push(`send ${to}`),
        persist: (s) => done.push(`write ${s.term} ${s.votedFor}`),
      },
    );
    for (const e of vote) host.apply(e);
    host.endStep();
    expect(done).toEqual(['write 4 n3', 'send n3']);
    expect(d.context.votedFor).toBe('n3');
    // One vote per term.
    const second = d.receive('n2', { type: 'vote', term: 4, transfer: false });
    expect(second).toContainEqual({
      type: 'send',
      to: 'n2',
      msg: { type: 'voteResponse', term: 4, granted: false },
    });
  });

  it('grants a transfer vote even while in contact with the leader', () => {
    const d = new Driver(input());
    d.receive('n2', { type: 'heartbeat', term: 3, round: 1 });
    const vote = d.receive('n3', { type: 'vote', term: 4, transfer: true });
    expect(vote).toContainEqual({
      type: 'send',
      to: 'n3',
      msg: { type: 'voteResponse', term: 4, granted: true },
    });
  });

  it('answers a stale heartbeat with its own term so the old leader steps down', () => {
    const d = new Driver(input({ persisted: { term: 5, votedFor: null } }));
    const out = d.receive('n2', { type: 'heartbeat', term: 2, round: 9 });
    expect(out).toEqual([
      { type: 'send', to: 'n2', msg: { type: 'heartbeatResponse', term: 5, round: 0 } },
    ]);
    const leader = leaderDriver();
    leader.receive('n3', { type: 'heartbeatResponse', term: 7, round: 0 });
    expect(leader.role).toBe('follower');
    expect(leader.context.term).toBe(7);
    expect(leader.emitted()).toContainEqual({ type: 'lease.revoked' });
  });

  it('steps down when CheckQuorum finds no quorum', () => {
    const d = leaderDriver();
    const out = d.fire('quorum');
    expect(d.role).toBe('follower');
    expect(out).toContainEqual({ type: 'lease.revoked' });
    expect(out).toContainEqual({ type: 'leader', leader: null, term: 1 });
  });

  it('stays leader through a quorum check when a quorum answered', () => {
    const d = leaderDriver();
    d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    d.fire('quorum');
    expect(d.role).toBe('leader');
    // The next window starts empty.
    d.fire('quorum');
    expect(d.role).toBe('follower');
  });

  it('ignores an ack for a round that already has its lease, and CheckQuorum still holds', () => {
    const d = leaderDriver({ members: ['n1', 'n2', 'n3', 'n4', 'n5'].map((id) => ({ id })) }, [
      'n2',
      'n3',
    ]);
    // n2 and n3 bring round 1 to its quorum (three of five): the lease is renewed.
    d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    d.receive('n3', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(d.emitted()).toContainEqual({ type: 'lease.granted', round: 1 });
    // n4's ack for the same round, and a duplicate of n2's, teach nothing: the snapshot stays.
    const before = d.snapshot;
    d.receive('n4', { type: 'heartbeatResponse', term: 1, round: 1 });
    d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(d.snapshot).toBe(before);
    // The acks that won the lease were enough for the quorum check; the next window starts
    // with nobody heard.
    d.fire('quorum');
    expect(d.role).toBe('leader');
    d.fire('quorum');
    expect(d.role).toBe('follower');
  });

  it('hands leadership to the most up-to-date follower on resign', () => {
    const d = leaderDriver();
    d.fire('heartbeat.due');
    d.receive('n2', { type: 'heartbeatResponse', term: 1, round: 1 });
    d.receive('n3', { type: 'heartbeatResponse', term: 1, round: 2 });
    const out = d.send({ type: 'resign' });
    expect(d.role).toBe('follower');
    expect(out).toContainEqual({ type: 'lease.revoked' });
    expect(out).toContainEqual({ type: 'send', to: 'n3', msg: { type: 'timeoutNow', term: 1 } });
  });

  it('hands leadership to the voter asked for, and to the likeliest one when asked for a stranger', () => {
    const asked = leaderDriver();
    asked.fire('heartbeat.due');
    asked.receive('n3', { type: 'heartbeatResponse', term: 1, round: 1 });
    const out = asked.send({ type: 'resign', to: 'n2' });
    expect(asked.role).toBe('follower');
    expect(out).toContainEqual({ type: 'send', to: 'n2', msg: { type: 'timeoutNow', term: 1 } });
    expect(out.filter((e) => (e as { type: string }).type === 'send')).toHaveLength(1);

    const stranger = leaderDriver();
    stranger.fire('heartbeat.due');
    stranger.receive('n3', { type: 'heartbeatResponse', term: 1, round: 1 });
    const fallback = stranger.send({ type: 'resign', to: 'n9' });
    expect(fallback).toContainEqual({
      type: 'send',
      to: 'n3',
      msg: { type: 'timeoutNow', term: 1 },
    });
  });

  it('stands at once, skipping pre-vote, when its leader says timeoutNow', () => {
    const d = new Driver(input());
    d.receive('n2', { type: 'heartbeat', term: 1, round: 1 });
    d.receive('n2', { type: 'timeoutNow', term: 1 });
    expect(d.snapshot.value).toEqual({ campaign: 'vote' });
    expect(d.context.term).toBe(2);
    expect(d.sends()).toContainEqual({ to: 'n3', msg: { type: 'vote', term: 2, transfer: true } });
  });

  it('ignores timeoutNow from anyone but its leader', () => {
    const d = new Driver(input());
    d.receive('n2', { type: 'heartbeat', term: 1, round: 1 });
    d.receive('n3', { type: 'timeoutNow', term: 1 });
    expect(d.role).toBe('follower');
  });

  it('a non-voter follows, never stands and never votes', () => {
    const d = new Driver(input({ voter: false }));
    d.receive('n2', { type: 'heartbeat', term: 1, round: 1 });
    expect(d.context.leader).toBe('n2');
    d.fire('contact');
    const vote = d.receive('n3', { type: 'vote', term: 2, transfer: false });
    expect(vote).toEqual([]);
    const pre = d.receive('n3', { type: 'preVote', term: 2 });
    expect(pre).toContainEqual({
      type: 'send',
      to: 'n3',
      msg: { type: 'preVoteResponse', term: 1, granted: false },
    });
    d.timeout();
    expect(d.role).toBe('follower');
    expect(d.context.leader).toBeNull();
    d.receive('n2', { type: 'timeoutNow', term: 1 });
    expect(d.role).toBe('follower');
  });

  it('does not count non-voters toward a quorum', () => {
    const d = new Driver(
      input({ members: [{ id: 'n1' }, { id: 'n2', voter: false }, { id: 'n3' }] }),
    );
    expect(d.context.config.quorum).toBe(2);
    d.timeout();
    d.receive('n2', { type: 'preVoteResponse', term: 1, granted: true });
    expect(d.snapshot.value).toEqual({ campaign: 'preVote' });
    d.receive('n3', { type: 'preVoteResponse', term: 1, granted: true });
    expect(d.snapshot.value).toEqual({ campaign: 'vote' });
  });

  it('a single voter elects itself and holds its own lease', () => {
    const d = new Driver(input({ members: [{ id: 'n1' }] }));
    const out = d.timeout();
    expect(d.role).toBe('leader');
    expect(out).toContainEqual({ type: 'lease.granted', round: 1 });
  });

  it('ignores messages from senders that are not members', () => {
    const d = new Driver(input());
    const out = d.receive('intruder', { type: 'heartbeat', term: 50, round: 1 });
    expect(out).toEqual([]);
    expect(d.context.term).toBe(0);
    expect(d.receive('constructor', { type: 'heartbeat', term: 50, round: 1 })).toEqual([]);
  });

  it('learns peers’ tags from their messages and sends its own', () => {
    const d = new Driver(input({ tags: { zone: 'a' } }));
    const out = d.receive('n2', { type: 'heartbeat', term: 1, round: 1, tags: { zone: 'b' } });
    expect(d.context.peerTags.n2).toEqual({ zone: 'b' });
    expect(out).toContainEqual({
      type: 'send',
      to: 'n2',
      msg: { type: 'heartbeatResponse', term: 1, round: 1, tags: { zone: 'a' } },
    });
  });
});

describe('raftMachine and non-voting members', () => {
  const members = [{ id: 'n1' }, { id: 'n2' }, { id: 'n3' }, { id: 'nv', voter: false }];

  it('ignores a heartbeat, a vote request or a transfer from a non-voter', () => {
    const d = new Driver(input({ members }));
    expect(d.receive('nv', { type: 'heartbeat', term: 4, round: 1 })).toEqual([]);
    expect(d.context.leader).toBeNull();
    d.fire('contact');
    expect(d.receive('nv', { type: 'preVote', term: 5 })).toEqual([]);
    expect(d.receive('nv', { type: 'vote', term: 5, transfer: true })).toEqual([]);
    expect(d.context.term).toBe(0);
  });

  it('still counts a non-voter’s acknowledgements as contact, not toward the lease', () => {
    const d = new Driver(input({ members }));
    d.timeout();
    d.receive('n2', { type: 'preVoteResponse', term: 1, granted: true });
    d.receive('n2', { type: 'voteResponse', term: 1, granted: true });
    expect(d.role).toBe('leader');
    const out = d.receive('nv', { type: 'heartbeatResponse', term: 1, round: 1 });
    expect(out.some((e) => e.type === 'lease.granted')).toBe(false);
  });
});

describe('raftMachine with two leaders in one term', () => {
  it('a leader that hears another leader of its own term steps down', () => {
    const d = leaderDriver();
    const out = d.receive('n3', { type: 'heartbeat', term: 1, round: 4 });
    expect(d.role).toBe('follower');
    expect(out).toContainEqual({ type: 'lease.revoked' });
    expect(d.context.term).toBe(1);
  });
});
