import { describe, expect, it } from 'vitest';
import { createActor, initialTransition, transition } from 'xstate';
import { type LesEmitted, type LesInput, lesMachine } from '../../machines/les/machine.js';
import type { LesMessage, LesState } from '../../machines/les/messages.js';

const SELF = 'self.test:1';
const A = 'a.test:1';
const B = 'b.test:1';

/** A machine whose loop never fires on its own: every step here is an explicit event. */
function node(input: Partial<LesInput> = {}) {
  const actor = createActor(lesMachine, {
    input: {
      address: SELF,
      seeds: [SELF, A],
      startTime: 100,
      timing: { loopMs: 1e9, stateTimeoutMs: 3e9, pingTimeoutMs: 1e9, confirmMs: 1e8 },
      ...input,
    },
  });
  const out: LesEmitted[] = [];
  actor.on('*', (e) => out.push(e as LesEmitted));
  actor.start();
  const receive = (from: string, msg: LesMessage) => actor.send({ type: 'receive', from, msg });
  const sends = (type: LesMessage['type']) =>
    out.flatMap((e) =>
      e.type === 'send' && (e.msg as LesMessage).type === type
        ? [{ to: e.to, msg: e.msg as LesMessage }]
        : [],
    );
  return { actor, out, receive, sends, context: () => actor.getSnapshot().context };
}

const state = (members: string[], leader: string | false, start: number): LesState => ({
  members,
  leader,
  start_time: start,
});

function ridOf(sent: { to: string; msg: LesMessage }[], to: string): number {
  const m = sent.find((s) => s.to === to)?.msg;
  if (m === undefined || !('rid' in m) || m.rid === undefined)
    throw new Error(`nothing sent to ${to}`);
  return m.rid;
}

describe('les machine', () => {
  it('asks every seed but itself for its state at once', () => {
    const n = node();
    expect(n.sends('state-request').map((s) => s.to)).toEqual([A]);
  });

  it('answers a join request only once the requester answered a ping, and then counts it a member', () => {
    const n = node();
    n.receive(B, { type: 'state-request', rid: 7, join: true });
    expect(n.sends('state')).toEqual([]);
    const ping = ridOf(n.sends('ping'), B);
    n.receive(B, { type: 'pong', rid: ping });
    const [answer] = n.sends('state');
    expect(answer).toEqual({
      to: B,
      msg: { type: 'state', rid: 7, state: state([SELF, B], false, 100) },
    });
    // And the new member is asked for its state right away.
    expect(n.sends('state-request').map((s) => s.to)).toContain(B);
  });

  it('ignores an answer to a request it never made', () => {
    const n = node();
    n.receive(B, { type: 'state', rid: 999, state: state([B], false, 1) });
    expect(n.context().members).toEqual([SELF]);
  });

  it('follows an older node at once; when it stops answering, leads alone', () => {
    const n = node();
    const rid = ridOf(n.sends('state-request'), A);
    n.receive(A, { type: 'state', rid, state: state([A, SELF], false, 50) });
    expect(n.context().leader).toBe(A);
    n.actor.send({ type: 'receive', from: A, msg: { type: 'unreachable' } });
    // Having had a leader, a node left without other members needs no confirmation.
    expect(n.context().members).toEqual([SELF]);
    expect(n.context().leader).toBe(SELF);
    const leaders = n.out
      .filter((e) => e.type === 'leader')
      .map((e) => (e as { leader: string | null }).leader);
    expect(leaders).toEqual([A, SELF]);
  });

  it('leads only once every other member names it', () => {
    const n = node({ seeds: [A, B] });
    const [ra, rb] = [ridOf(n.sends('state-request'), A), ridOf(n.sends('state-request'), B)];
    // B still names A; A names this node, the most senior.
    n.receive(B, { type: 'state', rid: rb, state: state([B, SELF, A], A, 300) });
    n.receive(A, { type: 'state', rid: ra, state: state([A, SELF, B], SELF, 200) });
    expect(n.context().leader).toBeNull();
    expect(n.actor.getSnapshot().matches({ candidate: 'confirming' })).toBe(true);
    n.receive(B, { type: 'push', state: state([B, SELF, A], SELF, 300) });
    expect(n.context().leader).toBe(SELF);
  });

  it('a candidate asks again every confirmation period for 20 rounds, then once a loop', () => {
    type Recorded = { type: string; params?: Record<string, unknown> }[];
    type Event = Parameters<typeof lesMachine.transition>[1];
    const timing = { loopMs: 1000, stateTimeoutMs: 1e9, pingTimeoutMs: 1000, confirmMs: 100 };
    let [snapshot, actions] = initialTransition(lesMachine, {
      address: SELF,
      seeds: [A],
      startTime: 100,
      timing,
    });
    const params = (type: string, match: (p: Record<string, unknown>) => boolean) =>
      (actions as unknown as Recorded).find((a) => a.type === type && match(a.params ?? {}))
        ?.params;
    const timer = (delay: number) =>
      params('xstate.raise', (p) => p.delay === delay)?.event as Event | undefined;
    const asked = params('xstate.emit', () => true)?.event as { msg: { rid: number } };
    // A is junior and names nobody: this node names itself and waits for A to confirm.
    [snapshot, actions] = transition(lesMachine, snapshot, {
      type: 'receive',
      from: A,
      msg: { type: 'state', rid: asked.msg.rid, state: state([A, SELF], false, 200) },
    });
    expect(snapshot.matches({ candidate: 'confirming' })).toBe(true);
    for (let round = 1; round < 20; round++) {
      expect(snapshot.context.fastRounds).toBe(round);
      const due = timer(timing.confirmMs);
      expect(due).toBeDefined();
      [snapshot, actions] = transition(lesMachine, snapshot, due!);
    }
    expect(snapshot.matches({ candidate: 'waiting' })).toBe(true);
    expect(snapshot.context.fastRounds).toBe(20);
    expect(timer(timing.loopMs)).toEqual({ type: 'loop.due' });
    // A confirms at last, and this node leads.
    [snapshot, actions] = transition(lesMachine, snapshot, {
      type: 'receive',
      from: A,
      msg: { type: 'push', state: state([A, SELF], SELF, 200) },
    });
    expect(snapshot.value).toBe('leader');
    expect(snapshot.context.leader).toBe(SELF);
  });

  it('takes pushes only from members', () => {
    const n = node();
    n.receive(B, { type: 'push', state: state([B], false, 1) });
    expect(n.context().states).toEqual({});
  });

  it('refuses members past maxMembers and outside allowMembers', () => {
    const n = node({ maxMembers: 2, allowMembers: ['a.test', 'self.test', '10.0.0.0/8'] });
    const rid = ridOf(n.sends('state-request'), A);
    n.receive(A, {
      type: 'state',
      rid,
      state: state([A, '10.1.1.1:1', 'evil.test:1'], false, 500),
    });
    expect(n.out.filter((e) => e.type === 'refused')).toEqual([
      { type: 'refused', address: '10.1.1.1:1', reason: 'max-members' },
      { type: 'refused', address: 'evil.test:1', reason: 'not-allowed' },
    ]);
    expect(n.sends('ping')).toEqual([]);
  });
});
