import { describe, expect, it } from 'vitest';
import {
  bullyModel,
  counterexampleJson,
  entropyModel,
  modelCheck,
  parseCounterexample,
  replay,
} from '../../src/check/index.js';
import { firstValueWins, followsAnyone } from './mutants.js';

describe('model checking bully', () => {
  it('holds within its default bounds: once quiet and settled, the highest live node leads', () => {
    const result = modelCheck('bully');
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
    expect(result.bounds.maxFaults).toBe(1);
  });

  it('catches a node that follows a lower one, and the path replays', () => {
    const model = bullyModel({ logic: followsAnyone, name: 'bully-follows-anyone' });
    const result = modelCheck(model, { maxFaults: 0 });
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toMatch(/the highest live node leads/);
    expect(cex.message).toMatch(/but n3 outranks it/);
    // Through the file format and back, as `electorate check --replay` reads it.
    const replayed = replay(model, parseCounterexample(counterexampleJson(cex)));
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });
});

describe('model checking entropy election', () => {
  it('holds within its default bounds: the same messages give the same leaders', () => {
    const result = modelCheck('entropy');
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
  });

  it('catches an order-dependent node, and the path replays', () => {
    const model = entropyModel({ logic: firstValueWins, name: 'entropy-first-value' });
    const result = modelCheck(model);
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toBe('nodes that received the same messages elect the same leaders');
    expect(cex.steps.every((s) => s.kind === 'deliver' || s.kind === 'duplicate')).toBe(true);
    const replayed = replay(model, cex);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });
});
