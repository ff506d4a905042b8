import { describe, expect, it } from 'vitest';
import { createActor, SimulatedClock } from 'xstate';
import { type KvLeaseInput, kvLeaseMachine, kvLeaseRole } from '../../machines/kv/machine.js';
import { decodeKvReply, type KvReply } from '../../machines/kv/messages.js';

const timing = {
  ttlMs: 1000,
  marginMs: 100,
  renewMs: 300,
  requestTimeoutMs: 200,
  backoffMinMs: 50,
  backoffMaxMs: 800,
};

function start(overrides: Partial<KvLeaseInput> = {}) {
  const clock = new SimulatedClock();
  const emitted: { type: string; [k: string]: unknown }[] = [];
  const a = createActor(kvLeaseMachine, {
    clock,
    input: { id: 'a', key: 'k', campaign: true, timing, seed: 7, ...overrides },
  });
  a.on('*', (e) => emitted.push(e as never));
  a.start();
  const reply = (msg: KvReply) => a.send({ type: 'receive', from: 'store', msg });
  reply({ type: 'connected', round: 0 });
  const sent = () =>
    emitted.filter((e) => e.type === 'send').map((e) => e.msg as { type: string; round: number });
  const last = (type: string) =>
    sent()
      .filter((m) => m.type === type)
      .at(-1)!;
  const role = () => kvLeaseRole(a.getSnapshot().value);
  return { a, clock, emitted, reply, sent, last, role };
}

describe('kvLeaseMachine', () => {
  it('starts the lease clock before the acquire request leaves, and grants it on success', () => {
    const { emitted, reply, last, role, a } = start();
    const types = emitted.map((e) => e.type);
    expect(types.indexOf('lease.start')).toBeLessThan(types.indexOf('send'));
    const acquire = last('acquire');
    expect(acquire).toMatchObject({ key: 'k', value: 'a', ttlMs: 1000, owner: null });
    expect(role()).toBe('candidate');
    reply({ type: 'acquired', round: acquire.round, owner: 'o1', token: 9 });
    expect(role()).toBe('leader');
    expect(emitted).toContainEqual({ type: 'lease.granted', round: acquire.round });
    expect(a.getSnapshot().context.token).toBe(9);
  });

  it('renews every renewMs and steps down at the lapse when renewals get no answer', () => {
    const { clock, emitted, reply, last, role } = start();
    reply({ type: 'acquired', round: last('acquire').round, owner: 'o1', token: 1 });
    clock.increment(300);
    const renew = last('renew');
    expect(renew).toMatchObject({ owner: 'o1', ttlMs: 1000 });
    reply({ type: 'renewed', round: renew.round });
    expect(emitted).toContainEqual({ type: 'lease.granted', round: renew.round });
    // The store goes silent: failures only, until the lease (ttl - margin) runs out.
    for (let t = 0; t < 900 && role() === 'leader'; t += 10) {
      clock.increment(10);
      const r = last('renew');
      if (r.round > renew.round)
        reply({ type: 'failed', round: r.round, op: 'renew', message: 'down' });
    }
    expect(role()).not.toBe('leader');
    expect(emitted.filter((e) => e.type === 'lease.revoked')).toHaveLength(1);
  });

  it('reads the key back after a failed acquire, and adopts a late success at once', () => {
    const { reply, last, role, sent } = start();
    const first = last('acquire');
    reply({ type: 'failed', round: first.round, op: 'acquire', message: 'timeout' });
    // The acquire may have been applied all the same: the machine looks before backing off.
    expect(role()).toBe('candidate');
    expect(sent().at(-1)).toMatchObject({ type: 'inspect', key: 'k' });
    reply({ type: 'acquired', round: first.round, owner: 'late', token: 3 });
    const again = last('acquire');
    expect(again.round).toBeGreaterThan(first.round);
    expect(again).toMatchObject({ owner: 'late' });
    reply({ type: 'acquired', round: again.round, owner: 'late', token: 3 });
    expect(role()).toBe('leader');
  });

  it('adopts a lease the store applied without answering: no wait for its TTL', () => {
    const { a, clock, reply, last, role } = start();
    const first = last('acquire');
    // No answer at all (the store actor answers within its timeout; this is past twice that).
    clock.increment(timing.requestTimeoutMs * 2);
    const inspect = last('inspect');
    expect(inspect.round).toBeGreaterThan(first.round);
    reply({
      type: 'found',
      round: inspect.round,
      holder: { value: 'a', token: 5 },
      owner: 'h1',
    });
    const adopt = last('acquire');
    expect(adopt).toMatchObject({ owner: 'h1' });
    reply({ type: 'acquired', round: adopt.round, owner: 'h1', token: 5 });
    expect(role()).toBe('leader');
    expect(a.getSnapshot().context.token).toBe(5);
  });

  it('releases by handle a lease of its own that adopting did not take over, then stands again', () => {
    const { reply, last, role } = start();
    reply({ type: 'failed', round: last('acquire').round, op: 'acquire', message: 'x' });
    const found = { type: 'found' as const, holder: { value: 'a', token: 2 }, owner: 'h1' };
    reply({ ...found, round: last('inspect').round });
    const adopt = last('acquire');
    // The store names us, under the handle just tried: adopting it did not work.
    reply({ type: 'taken', round: adopt.round, holder: { value: 'a', token: 2 }, owner: 'h1' });
    reply({ ...found, round: last('inspect').round });
    const release = last('release');
    expect(release).toMatchObject({ owner: 'h1', key: 'k' });
    reply({ type: 'released', round: release.round });
    expect(role()).toBe('candidate');
    const fresh = last('acquire');
    expect(fresh.round).toBeGreaterThan(release.round);
    expect(fresh).toMatchObject({ owner: null });
    // A late success under the released handle is never led on.
    reply({ type: 'acquired', round: adopt.round, owner: 'h1', token: 2 });
    expect(role()).toBe('candidate');
  });

  it('follows another holder found on read-back, and backs off when the key is free', () => {
    const follow = start();
    follow.reply({
      type: 'failed',
      round: follow.last('acquire').round,
      op: 'acquire',
      message: 'x',
    });
    follow.reply({
      type: 'found',
      round: follow.last('inspect').round,
      holder: { value: 'b', token: 4 },
      owner: 'hb',
    });
    expect(follow.role()).toBe('follower');
    expect(follow.a.getSnapshot().context.leader).toBe('b');

    const free = start();
    const first = free.last('acquire');
    free.reply({ type: 'failed', round: first.round, op: 'acquire', message: 'x' });
    free.reply({ type: 'found', round: free.last('inspect').round, holder: null, owner: null });
    // Reads work but writes fail: no tight loop, the retry waits out a backoff.
    expect(free.last('acquire').round).toBe(first.round);
    const wait = free.a.getSnapshot().context.backoffMs;
    expect(wait).toBeGreaterThan(0);
    free.clock.increment(wait);
    expect(free.last('acquire').round).toBeGreaterThan(first.round);
  });

  it('backs off with seeded jitter, doubling to the cap', () => {
    const draws = (seed: number) => {
      const { a, clock, reply, last } = start({ seed });
      const delays: number[] = [];
      for (let i = 0; i < 6; i++) {
        reply({ type: 'failed', round: last('acquire').round, op: 'acquire', message: 'x' });
        reply({ type: 'found', round: last('inspect').round, holder: null, owner: null });
        const ms = a.getSnapshot().context.backoffMs;
        delays.push(ms);
        clock.increment(ms);
      }
      return delays;
    };
    const d = draws(1);
    expect(draws(1)).toEqual(d);
    expect(draws(2)).not.toEqual(d);
    for (const [i, ms] of d.entries()) {
      const ceiling = Math.min(800, 50 * 2 ** i);
      expect(ms).toBeGreaterThanOrEqual(ceiling / 2);
      expect(ms).toBeLessThanOrEqual(ceiling);
    }
  });

  it('waits on a held key and campaigns the instant the watch reports it free', () => {
    const { reply, last, role, a } = start();
    reply({
      type: 'taken',
      round: last('acquire').round,
      holder: { value: 'b', token: 4 },
      owner: null,
    });
    expect(a.getSnapshot().context.leader).toBe('b');
    const watch = last('watch');
    const before = last('acquire').round;
    reply({ type: 'holder', round: watch.round, holder: null });
    expect(role()).toBe('candidate');
    expect(last('acquire').round).toBeGreaterThan(before);
  });

  it('asks again at once when an answer names a holder the watch has since seen go', () => {
    const { a, clock, reply, last, role } = start();
    const b = { value: 'b', token: 4 };
    reply({ type: 'taken', round: last('acquire').round, holder: b, owner: null });
    const watch = last('watch');
    // The recheck's acquire is on its way when the key goes; its answer left before that.
    clock.increment(timing.ttlMs);
    const recheck = last('acquire');
    reply({ type: 'holder', round: watch.round, holder: null });
    reply({ type: 'taken', round: recheck.round, holder: b, owner: null });
    expect(role()).toBe('candidate');
    const again = last('acquire');
    expect(again.round).toBeGreaterThan(recheck.round);
    expect(a.getSnapshot().context.leader).toBeNull();
    // A newer holder is believed: wait on it.
    reply({ type: 'taken', round: again.round, holder: { value: 'c', token: 6 }, owner: null });
    expect(role()).toBe('follower');
    expect(a.getSnapshot().context.leader).toBe('c');

    // The same for a read-back after a failed acquire.
    clock.increment(timing.ttlMs);
    const failed = last('acquire');
    reply({ type: 'failed', round: failed.round, op: 'acquire', message: 'x' });
    const inspect = last('inspect');
    reply({ type: 'holder', round: watch.round, holder: null });
    reply({
      type: 'found',
      round: inspect.round,
      holder: { value: 'c', token: 6 },
      owner: 'hc',
    });
    expect(role()).toBe('candidate');
    expect(last('acquire').round).toBeGreaterThan(inspect.round);
  });

  it('resigns by releasing, then leaves the key to others for a TTL', () => {
    const { a, clock, reply, last, role, emitted } = start();
    reply({ type: 'acquired', round: last('acquire').round, owner: 'o1', token: 1 });
    a.send({ type: 'resign' });
    expect(role()).toBe('follower');
    expect(emitted.at(-1)).toMatchObject({ type: 'send', msg: { type: 'release', owner: 'o1' } });
    reply({ type: 'released', round: last('release').round });
    reply({ type: 'holder', round: last('watch').round, holder: null });
    expect(role()).toBe('follower');
    const acquires = emitted.filter((e) => (e.msg as { type?: string })?.type === 'acquire').length;
    clock.increment(1000);
    expect(role()).toBe('candidate');
    expect(emitted.filter((e) => (e.msg as { type?: string })?.type === 'acquire')).toHaveLength(
      acquires + 1,
    );
  });

  it('a leader whose watch shows another holder steps down at once', () => {
    const { reply, last, role } = start();
    reply({
      type: 'taken',
      round: last('acquire').round,
      holder: { value: 'b', token: 1 },
      owner: null,
    });
    const watch = last('watch');
    reply({ type: 'holder', round: watch.round, holder: null });
    reply({ type: 'acquired', round: last('acquire').round, owner: 'o', token: 2 });
    expect(role()).toBe('leader');
    // The leader watches under its own handle; the follower's watch is done with.
    const leading = last('watch');
    expect(leading.round).toBeGreaterThan(watch.round);
    expect(leading).toMatchObject({ owner: 'o' });
    reply({ type: 'holder', round: leading.round, holder: { value: 'c', token: 3 } });
    expect(role()).not.toBe('leader');
  });

  it('a leader watches its key from the start, steps down the moment it goes, and re-arms a broken watch at the next renewal', () => {
    const { clock, reply, last, role, sent } = start();
    reply({ type: 'acquired', round: last('acquire').round, owner: 'o1', token: 4 });
    expect(role()).toBe('leader');
    const watch = last('watch');
    expect(watch).toMatchObject({ key: 'k', owner: 'o1' });
    reply({ type: 'holder', round: watch.round, holder: { value: 'a', token: 4 } });
    expect(role()).toBe('leader');
    // The store loses the watch: nothing more is asked until the next renewal has succeeded.
    reply({ type: 'failed', round: watch.round, op: 'watch', message: 'gone' });
    const watches = () => sent().filter((m) => m.type === 'watch').length;
    const before = watches();
    clock.increment(timing.renewMs);
    expect(watches()).toBe(before);
    reply({ type: 'renewed', round: last('renew').round });
    expect(watches()).toBe(before + 1);
    // A lease the store ended early (the key is gone) ends leadership before any renewal.
    reply({ type: 'holder', round: last('watch').round, holder: null });
    expect(role()).not.toBe('leader');
  });

  it('sends nothing until the store actor says the store is reachable', () => {
    const clock = new SimulatedClock();
    const sent: unknown[] = [];
    const a = createActor(kvLeaseMachine, {
      clock,
      input: { id: 'a', key: 'k', campaign: true, timing, seed: 1 },
    });
    a.on('send', (e) => sent.push(e));
    a.start();
    clock.increment(10_000);
    expect(sent).toEqual([]);
    a.send({ type: 'receive', from: 'store', msg: { type: 'connected', round: 0 } });
    expect(sent).toHaveLength(1);
  });

  it('a follower only watches', () => {
    const { sent, reply, last, a } = start({ campaign: false });
    expect(sent().map((m) => m.type)).toEqual(['watch']);
    reply({ type: 'holder', round: last('watch').round, holder: { value: 'z', token: 5 } });
    expect(a.getSnapshot().context.leader).toBe('z');
    expect(a.getSnapshot().context.leaderToken).toBe(5);
  });
});

describe('decodeKvReply', () => {
  it('accepts well-formed replies and drops the rest', () => {
    expect(decodeKvReply({ type: 'acquired', round: 1, owner: 'o', token: 2 })).toBeDefined();
    expect(decodeKvReply({ type: 'holder', round: 1, holder: null })).toBeDefined();
    expect(decodeKvReply({ type: 'acquired', round: -1, owner: 'o', token: 2 })).toBeUndefined();
    expect(decodeKvReply({ type: 'acquired', round: 1, owner: '', token: 2 })).toBeUndefined();
    expect(decodeKvReply({ type: 'holder', round: 1, holder: { value: 1 } })).toBeUndefined();
    expect(decodeKvReply({ type: 'failed', round: 1, op: 'nope', message: 'x' })).toBeUndefined();
    expect(decodeKvReply('junk')).toBeUndefined();
  });
});
