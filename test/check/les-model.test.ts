import { describe, expect, it } from 'vitest';
import { lesModel, modelCheck, replay } from '../../src/check/index.js';
import { keepsRemovedLeader } from './mutants.js';

describe('model checking LES', () => {
  it('holds within its default bounds: no node names a removed member as leader', () => {
    const result = modelCheck('les');
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
    expect(result.ids).toEqual(['n1:7001', 'n2:7002']);
  });

  it('catches a node that keeps a removed leader, and the path replays', () => {
    const model = lesModel({ logic: keepsRemovedLeader, name: 'les-keeps-leader' });
    const result = modelCheck(model);
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toBe('no node names a removed member as leader');
    const replayed = replay(model, cex);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });
});
