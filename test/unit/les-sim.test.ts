import { describe, expect, it } from 'vitest';
import { type LesOptions, lesProtocol } from '../../machines/les/definition.js';
import { Simulation } from '../../src/sim/index.js';

const ids = ['10.0.0.1:4000', '10.0.0.2:4000', '10.0.0.3:4000'];

function cluster(startTimes: number[], options: LesOptions = {}) {
  return new Simulation<LesOptions>({
    nodes: ids.map((id, i) => ({ id, options: { startTime: startTimes[i]! } })),
    seed: 1,
    protocol: lesProtocol,
    options: { loopMs: 1000, ...options },
  });
}

const leaders = (sim: Simulation<LesOptions>) => sim.states().map((s) => s.leader);

describe('les in the simulator', () => {
  it('elects the most senior node', () => {
    const sim = cluster([3, 1, 2]);
    expect(sim.runUntil((s) => s.agreedLeader() === ids[1], 5000)).toBe(true);
    expect(sim.node(ids[1]!).role).toBe('leader');
    expect(sim.node(ids[0]!).members).toHaveLength(3);
  });

  it('breaks a tie in start_time by the smaller address', () => {
    const sim = cluster([5, 5, 5]);
    expect(sim.runUntil((s) => s.agreedLeader() === ids[0], 5000)).toBe(true);
  });

  it('the next most senior takes over when the leader crashes', () => {
    const sim = cluster([1, 2, 3], { push: false });
    expect(sim.runUntil((s) => s.agreedLeader() === ids[0], 5000)).toBe(true);
    sim.crash(ids[0]!);
    const live = [ids[1]!, ids[2]!];
    expect(
      sim.runUntil(
        (s) =>
          live.every((id) => s.node(id).leader === ids[1]) && s.node(ids[1]!).role === 'leader',
        10_000,
      ),
    ).toBe(true);
    expect(sim.node(ids[2]!).members).toEqual([ids[2], ids[1]]);
  });

  it('a lone node does not elect itself unless allowed', () => {
    const lone = new Simulation<LesOptions>({
      nodes: [{ id: ids[0]!, options: { startTime: 1 } }],
      seed: 1,
      protocol: lesProtocol,
    });
    lone.run(5000);
    expect(leaders(lone)).toEqual([null]);
    const alone = new Simulation<LesOptions>({
      nodes: [{ id: ids[0]!, options: { startTime: 1, allowAlone: true } }],
      seed: 1,
      protocol: lesProtocol,
    });
    alone.run(1500);
    expect(leaders(alone)).toEqual([ids[0]]);
  });
});
