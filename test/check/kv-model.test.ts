import { describe, expect, it } from 'vitest';
import { kvModel, modelCheck, replay, TIMED_KV_TIMING } from '../../src/check/index.js';

describe('model checking KV-lease election (candidates and a TTL store)', () => {
  it('holds within its default bounds: one valid lease, fencing tokens increase', () => {
    const result = modelCheck('kv');
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
    expect(result.bounds.timed).toBe(true);
    expect(result.ids).toEqual(['n1', 'n2', 'store']);
  });

  it('keeps one valid lease when a request or an answer is lost', () => {
    const model = { ...kvModel(), faults: { crash: false, duplicate: false } };
    const result = modelCheck(model, { maxTerm: 1, maxFaults: 1 });
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
  });

  it('catches a lease trusted to the full TTL and renewed late, and the path replays', () => {
    const model = kvModel({
      name: 'kv-no-margin',
      timedTiming: { ...TIMED_KV_TIMING, marginMs: 0, renewMs: 5 },
    });
    const result = modelCheck(model);
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toBe('never two holders of a valid lease');
    expect(cex.steps.some((s) => s.kind === 'timer' && s.node === 'store')).toBe(true);
    const replayed = replay(model, cex);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });
});
