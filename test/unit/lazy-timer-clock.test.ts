import { describe, expect, it } from 'vitest';
import { createActor, setup } from 'xstate';
import { LazyTimerClock, type TimerApi } from '../../src/runtime/lazy-timer-clock.js';

/** Node's timers on a virtual clock: `advance` moves time and fires what falls due, in order. */
function virtualTimers() {
  let now = 0;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void; refed: boolean }>();
  const log = { armed: 0, cleared: 0 };
  const api: TimerApi = {
    now: () => now,
    setTimeout: (fn, ms) => {
      const id = ++seq;
      log.armed++;
      timers.set(id, { at: now + ms, fn, refed: true });
      return {
        ref: () => {
          const t = timers.get(id);
          if (t) t.refed = true;
        },
        unref: () => {
          const t = timers.get(id);
          if (t) t.refed = false;
        },
        id,
      } as unknown as ReturnType<TimerApi['setTimeout']>;
    },
    clearTimeout: (handle) => {
      log.cleared++;
      timers.delete((handle as unknown as { id: number }).id);
    },
  };
  const advance = (ms: number) => {
    const end = now + ms;
    for (;;) {
      const next = [...timers].sort((a, b) => a[1].at - b[1].at || a[0] - b[0])[0];
      if (next === undefined || next[1].at > end) break;
      timers.delete(next[0]);
      now = next[1].at;
      next[1].fn();
    }
    now = end;
  };
  const alive = () => [...timers.values()].some((t) => t.refed);
  /** What fired, as `name@time`. */
  const fired: string[] = [];
  const mark = (name: string) => () => {
    fired.push(`${name}@${now}`);
  };
  return { api, advance, log, alive, live: () => timers.size, fired, mark };
}

describe('LazyTimerClock', () => {
  it('fires each timeout at its deadline, in deadline order', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    clock.setTimeout(v.mark('b'), 200);
    clock.setTimeout(v.mark('a'), 100);
    clock.setTimeout(v.mark('c'), 300);
    v.advance(99);
    expect(v.fired).toEqual([]);
    v.advance(1);
    expect(v.fired).toEqual(['a@100']);
    v.advance(250);
    expect(v.fired).toEqual(['a@100', 'b@200', 'c@300']);
    expect(clock.size).toBe(0);
  });

  it('runs timeouts with the same deadline in the order they were set', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    const fired: number[] = [];
    for (const n of [1, 2, 3]) clock.setTimeout(() => fired.push(n), 50);
    v.advance(50);
    expect(fired).toEqual([1, 2, 3]);
  });

  it('never fires a cancelled timeout, even one cancelled by another due at the same time', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    clock.setTimeout(v.mark('gone'), 100);
    clock.clearTimeout(clock.setTimeout(v.mark('never'), 100));
    const later = clock.setTimeout(v.mark('later'), 150);
    clock.setTimeout(() => clock.clearTimeout(later), 120);
    v.advance(1000);
    expect(v.fired).toEqual(['gone@100']);
  });

  it('moves a deadline later without arming a real timer, and fires at the new deadline', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    const fired: number[] = [];
    // A follower's election timer, pushed back by a heartbeat every 50 ms for a second.
    let id = clock.setTimeout(() => fired.push(v.api.now()), 150);
    for (let t = 0; t < 20; t++) {
      v.advance(50);
      clock.clearTimeout(id);
      id = clock.setTimeout(() => fired.push(v.api.now()), 150);
    }
    expect(fired).toEqual([]);
    // The real timer fires at the deadline it was armed for, finds the timeout moved, and
    // arms once for the new one: every 100 ms here, against a clear and a set per heartbeat.
    expect(v.log.armed).toBe(10);
    expect(v.log.cleared).toBe(0);
    v.advance(149);
    expect(fired).toEqual([]);
    v.advance(1);
    expect(fired).toEqual([1150]);
  });

  it('re-arms for an earlier deadline at once', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    clock.setTimeout(v.mark('late'), 500);
    clock.setTimeout(v.mark('early'), 20);
    v.advance(20);
    expect(v.fired).toEqual(['early@20']);
    v.advance(480);
    expect(v.fired).toEqual(['early@20', 'late@500']);
  });

  it('gives a timeout set while others fire a later turn, as Node does', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    const fired: string[] = [];
    clock.setTimeout(() => {
      fired.push('first');
      clock.setTimeout(() => fired.push('zero-delay'), 0);
      fired.push('first done');
    }, 10);
    v.advance(10);
    expect(fired).toEqual(['first', 'first done', 'zero-delay']);
  });

  it('holds the process only while a timeout is pending', () => {
    const v = virtualTimers();
    const clock = new LazyTimerClock(v.api);
    const id = clock.setTimeout(() => {}, 100);
    expect(v.alive()).toBe(true);
    clock.clearTimeout(id);
    expect(v.alive()).toBe(false);
    clock.setTimeout(() => {}, 200);
    expect(v.alive()).toBe(true);
    v.advance(200);
    expect(v.live()).toBe(0);
  });

  it('keeps real time: fires after its delay and not before', async () => {
    const clock = new LazyTimerClock();
    const start = performance.now();
    const fired = await new Promise<number>((resolve) => {
      const cancelled = clock.setTimeout(() => resolve(-1), 5);
      clock.clearTimeout(cancelled);
      clock.setTimeout(() => resolve(performance.now() - start), 20);
    });
    // Node's own timers may fire up to a millisecond early by performance.now().
    expect(fired).toBeGreaterThanOrEqual(19);
    expect(clock.size).toBe(0);
  });

  it("runs an actor's delayed transitions as XState's own clock would", () => {
    const v = virtualTimers();
    const machine = setup({}).createMachine({
      initial: 'waiting',
      states: {
        waiting: { on: { poke: { target: 'waiting', reenter: true } }, after: { 100: 'done' } },
        done: {},
      },
    });
    const actor = createActor(machine, { clock: new LazyTimerClock(v.api) }).start();
    v.advance(60);
    actor.send({ type: 'poke' });
    v.advance(60);
    expect(actor.getSnapshot().value).toBe('waiting');
    v.advance(40);
    expect(actor.getSnapshot().value).toBe('done');
    actor.stop();
  });
});
