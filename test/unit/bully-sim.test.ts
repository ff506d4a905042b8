import { describe, expect, it } from 'vitest';
import { type BullyOptions, bullyProtocol } from '../../machines/bully/definition.js';
import type { BullyContext } from '../../machines/bully/machine.js';
import { comparePriority } from '../../machines/bully/machine.js';
import { Simulation } from '../../src/sim/simulation.js';

const rounds = (sim: Simulation<BullyOptions>, id: string) =>
  (sim.snapshot(id) as { context: BullyContext }).context.rounds;

function cluster(seed: number, preempt = true) {
  return new Simulation({ nodes: 5, seed, protocol: bullyProtocol, options: { preempt } });
}

const agreeOn = (sim: Simulation<BullyOptions>, id: string, ms = 3000) =>
  sim.runUntil((s) => s.agreedLeader() === id, ms);

describe('comparePriority', () => {
  it('ranks by pid as a 64-bit number, then by address bytes', () => {
    expect(
      comparePriority({ pid: '10', address: 'a' }, { pid: '9', address: 'z' }),
    ).toBeGreaterThan(0);
    expect(
      comparePriority(
        { pid: '18446744073709551615', address: 'a' },
        { pid: '18446744073709551614', address: 'a' },
      ),
    ).toBeGreaterThan(0);
    // 10.0.0.9 < 10.0.0.10 as bytes, though not as text.
    expect(
      comparePriority({ pid: '1', address: '10.0.0.10' }, { pid: '1', address: '10.0.0.9' }),
    ).toBeGreaterThan(0);
    expect(comparePriority({ pid: '1', address: 'x' }, { pid: '1', address: 'x' })).toBe(0);
  });
});

describe('bully in the simulator', () => {
  it('elects the highest node in one round at start', () => {
    const sim = cluster(1);
    expect(agreeOn(sim, 'n5')).toBe(true);
    sim.run(1000);
    expect(sim.ids.map((id) => rounds(sim, id))).toEqual([1, 1, 1, 1, 1]);
  });

  it('fails over to the next highest, each survivor starting at most one election', () => {
    const sim = cluster(2);
    agreeOn(sim, 'n5');
    sim.run(1000);
    const before = sim.ids.map((id) => rounds(sim, id));
    sim.crash('n5');
    expect(agreeOn(sim, 'n4')).toBe(true);
    sim.run(1000);
    const after = sim.ids.slice(0, 4).map((id) => rounds(sim, id));
    for (let i = 0; i < 4; i++) expect(after[i]! - before[i]!).toBeLessThanOrEqual(1);
  });

  it('a returning higher node takes over when preempting', () => {
    const sim = cluster(3);
    agreeOn(sim, 'n5');
    sim.crash('n5');
    agreeOn(sim, 'n4');
    sim.restart('n5');
    expect(agreeOn(sim, 'n5')).toBe(true);
  });

  it('a returning higher node follows the sitting leader when not preempting', () => {
    const sim = cluster(4, false);
    expect(agreeOn(sim, 'n5', 5000)).toBe(true);
    sim.crash('n5');
    expect(agreeOn(sim, 'n4')).toBe(true);
    sim.restart('n5');
    sim.run(3000);
    expect(sim.agreedLeader()).toBe('n4');
    expect(sim.node('n5').leader).toBe('n4');
  });

  it('after a partition heals the higher of two leaders wins', () => {
    const sim = cluster(5);
    agreeOn(sim, 'n5');
    sim.partition(['n1', 'n2', 'n3'], ['n4', 'n5']);
    sim.run(2000);
    expect(sim.node('n3').isLeader).toBe(true);
    expect(sim.node('n5').isLeader).toBe(true);
    sim.heal();
    expect(agreeOn(sim, 'n5')).toBe(true);
  });

  it('reports the leader address and pid', () => {
    const sim = new Simulation({
      nodes: [
        { id: 'a', options: { pid: '7', address: '10.0.0.1' } },
        { id: 'b', options: { pid: '9', address: '10.0.0.2' } },
      ],
      seed: 1,
      protocol: bullyProtocol,
    });
    agreeOn(sim, 'b');
    expect(sim.node('a')).toMatchObject({ leaderAddress: '10.0.0.2', leaderPid: '9' });
  });
});

describe('bully mixed with a slower implementation', () => {
  it('settles in one round when the coordinator timeout outlasts a slow highest node', () => {
    // n3 stands in for a multibully node: it answers and declares only after 2 s.
    const sim = new Simulation({
      nodes: [
        { id: 'n1', options: { coordinatorTimeoutMs: 2500 } },
        { id: 'n2', options: { coordinatorTimeoutMs: 2500 } },
        { id: 'n3', options: { answerTimeoutMs: 2000 } },
      ],
      seed: 9,
      protocol: bullyProtocol,
    });
    expect(agreeOn(sim, 'n3', 5000)).toBe(true);
    expect(sim.ids.map((id) => rounds(sim, id))).toEqual([1, 1, 1]);
  });
});
