import { describe, expect, it } from 'vitest';
import {
  formatSteps,
  mermaidDiagram,
  modelCheck,
  raftModel,
  replay,
} from '../../src/check/index.js';
import { longLeaseModel, TIMED, votesTwice } from './raft-mutants.js';

describe('model checking raft', () => {
  it('holds every invariant over the whole space within its default bounds', () => {
    const result = modelCheck('raft');
    expect(result.bounds).toMatchObject({ nodes: 3, maxTerm: 3, maxFaults: 1 });
    expect(result.violation).toBeUndefined();
    expect(result.ok).toBe(true);
    expect(result.complete).toBe(true);
    expect(result.states).toBeGreaterThan(1000);
    // Elections finished inside the bounds: some state had a leader in term 2.
    expect(result.depth).toBeGreaterThan(20);
  });

  it('finds the same verdict with and without symmetry reduction, in fewer states with it', () => {
    const bounds = { maxTerm: 1, maxFaults: 0, maxInFlight: 2 };
    const reduced = modelCheck('raft', bounds);
    const full = modelCheck('raft', { ...bounds, symmetry: false });
    expect(reduced.ok && full.ok).toBe(true);
    expect(reduced.symmetry).toBe(true);
    expect(full.symmetry).toBe(false);
    expect(reduced.states).toBeLessThan(full.states);
    expect(reduced.states * 6).toBeGreaterThanOrEqual(full.states);
  });

  it('drops dead letters only once no fault is left, with the same verdicts as the exact search', () => {
    // Without forgetting, so that the dead letters alone make the difference.
    const base = raftModel();
    const model = { ...base, ghost: { ...base.ghost!, forget: undefined } };
    const bounds = { maxTerm: 2 };
    const reduced = modelCheck(model, bounds);
    const exact = modelCheck(model, { ...bounds, reduce: false });
    expect(reduced.reduced).toBe(true);
    expect(exact.reduced).toBe(false);
    expect(reduced.ok && exact.ok && reduced.complete && exact.complete).toBe(true);
    expect(reduced.states).toBeLessThan(exact.states);
    // Without faults no node stays down, so nothing is dropped.
    const quiet = { maxTerm: 2, maxFaults: 0 };
    expect(modelCheck(model, quiet).states).toBe(
      modelCheck(model, { ...quiet, reduce: false }).states,
    );
  });

  it('catches a double vote in the exact search too', () => {
    const model = raftModel({ logic: votesTwice, name: 'raft-votes-twice' });
    const result = modelCheck(model, { maxTerm: 2, maxFaults: 1, maxInFlight: 3, reduce: false });
    expect(result.counterexample?.invariant).toBe('a vote never changes within a term');
    expect(replay(model, result.counterexample!).reproduced).toBe(true);
  });

  it('catches a node that votes twice in a term, and the path replays in the simulator', () => {
    const model = raftModel({ logic: votesTwice, name: 'raft-votes-twice' });
    const result = modelCheck(model, { maxTerm: 2, maxFaults: 0, maxInFlight: 3 });
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toBe('a vote never changes within a term');
    expect(cex.steps.length).toBeGreaterThan(0);
    const text = formatSteps(cex);
    expect(text).toMatch(/^ 1\. /);
    expect(text).toContain('violated: a vote never changes within a term');
    expect(mermaidDiagram(cex)).toMatch(/^sequenceDiagram\n/);

    const replayed = replay(model, cex);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
    expect(replayed.invariant).toBe(cex.invariant);
    expect(replayed.steps).toBe(cex.steps.length);
  });

  it('does not reproduce a counterexample on the correct machine', () => {
    const broken = raftModel({ logic: votesTwice, name: 'raft-votes-twice' });
    const cex = modelCheck(broken, { maxTerm: 2, maxFaults: 0, maxInFlight: 3 }).counterexample!;
    const replayed = replay(raftModel(), cex);
    expect(replayed.reproduced).toBe(false);
  });

  it('keeps at most one valid lease in timed mode', () => {
    const result = modelCheck('raft', { timed: true, maxTerm: 2, maxFaults: 0, maxInFlight: 2 });
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
  });

  it('catches a lease that outlives the election timeout, and the path replays', () => {
    const model = longLeaseModel();
    const result = modelCheck(model, TIMED);
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toBe('at most one valid lease');
    expect(cex.steps.some((s) => s.kind === 'tick')).toBe(true);
    expect(cex.steps.filter((s) => s.kind === 'drop').length).toBeGreaterThan(0);
    const replayed = replay(model, cex);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });
});
