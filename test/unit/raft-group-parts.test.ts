import { describe, expect, it } from 'vitest';
import { entryBytes, MAX_BATCH_ENTRIES } from '../../src/group/raft/batch.js';
import { Outbox } from '../../src/group/raft/outbox.js';
import { TickClock } from '../../src/group/raft/tick-clock.js';
import { EventQueue } from '../../src/sim/event-queue.js';

/** A TickClock on virtual time, and a way to run it to an instant. */
function virtualTicks(tickMs: number) {
  const queue = new EventQueue();
  let now = 0;
  const clock = new TickClock(
    tickMs,
    {
      setTimeout: (fn, ms) => queue.push(now + ms, fn),
      clearTimeout: (ev) => {
        (ev as { cancelled: boolean }).cancelled = true;
      },
      now: () => now,
    },
    () => {},
  );
  const runTo = (until: number) => {
    for (let ev = queue.peek(); ev !== undefined && ev.at <= until; ev = queue.peek()) {
      queue.pop();
      now = ev.at;
      if (!ev.cancelled) ev.run();
    }
    now = until;
  };
  return { clock, runTo, at: () => now };
}

describe('TickClock', () => {
  it('runs timers of one tick together at the next tick, never later than asked', () => {
    const { clock, runTo, at } = virtualTicks(50);
    const fired: Array<[string, number]> = [];
    runTo(12);
    clock.setTimeout(() => fired.push(['a', at()]), 50);
    runTo(37);
    clock.setTimeout(() => fired.push(['b', at()]), 50);
    clock.setTimeout(() => fired.push(['other', at()]), 120);
    const cancelled = clock.setTimeout(() => fired.push(['cancelled', at()]), 50);
    clock.clearTimeout(cancelled);
    runTo(200);
    expect(fired).toEqual([
      ['a', 50],
      ['b', 50],
      ['other', 157],
    ]);
    expect(clock.ticks).toBe(1);
  });

  it('keeps running the other timers of a tick when one throws', () => {
    const errors: unknown[] = [];
    let ran = false;
    const clock = new TickClock(
      10,
      { setTimeout: (fn) => fn(), clearTimeout: () => {}, now: () => 0 },
      (err) => errors.push(err),
    );
    clock.setTimeout(() => {
      throw new Error('one election failed');
    }, 10);
    expect(errors).toHaveLength(1);
    clock.setTimeout(() => {
      ran = true;
    }, 10);
    expect(ran).toBe(true);
  });
});

describe('Outbox', () => {
  it('sends one frame per peer, split only past the entry or byte limit', () => {
    const outbox = new Outbox(10 * entryBytes('e', { type: 'heartbeat' }));
    for (let i = 0; i < 25; i++) outbox.add('n2', 'e', { type: 'heartbeat' });
    outbox.add('n3', 'e', { type: 'heartbeat' });
    expect(outbox.drain().map((b) => [b.to, b.entries.length])).toEqual([
      ['n2', 10],
      ['n2', 10],
      ['n2', 5],
      ['n3', 1],
    ]);
    expect(outbox.empty).toBe(true);

    const roomy = new Outbox(1 << 30);
    for (let i = 0; i <= MAX_BATCH_ENTRIES; i++) roomy.add('n2', 'e', { type: 'heartbeat' });
    expect(roomy.drain().map((b) => b.entries.length)).toEqual([MAX_BATCH_ENTRIES, 1]);
  });
});
