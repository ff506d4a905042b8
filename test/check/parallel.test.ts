import { beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt } from '../integration/cli-process.js';

// Worker threads run the built modules, so these tests check the build.
let check: typeof import('../../src/check/index.js');
beforeAll(async () => {
  ensureBuilt();
  check = await import('../../dist/src/check/index.js' as string);
});

describe('model checking on several threads', () => {
  it('reaches the same states and steps as one thread', () => {
    const bounds = { maxTerm: 2 };
    const one = check.modelCheck('raft', bounds);
    const two = check.modelCheck('raft', { ...bounds, workers: 2 });
    expect(two.workers).toBe(2);
    expect(two.ok && two.complete).toBe(true);
    expect(two.states).toBe(one.states);
    expect(two.transitions).toBe(one.transitions);
    expect(two.depth).toBe(one.depth);
  });

  it('stops at --max-states and says the search was cut short', () => {
    const r = check.modelCheck('raft', { maxStates: 20_000, workers: 2 });
    expect(r.complete).toBe(false);
    expect(r.ok).toBe(true);
    expect(r.states).toBeGreaterThanOrEqual(20_000);
  });

  it('refuses a model that is not a shipped protocol', () => {
    expect(() => check.modelCheck(check.raftModel(), { workers: 2 })).toThrow(/shipped protocol/);
  });
});
