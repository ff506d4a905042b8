import { describe, expect, it } from 'vitest';
import type { RaftContext } from '../../machines/raft/machine.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { SeededGenerator } from '../../src/sim/seeded-generator.js';
import { SafetyViolation, Simulation } from '../../src/sim/simulation.js';

const electLeader = (sim: Simulation, ms = 5000): string => {
  expect(sim.runUntil((s) => s.agreedLeader() !== undefined, ms)).toBe(true);
  return sim.agreedLeader()!;
};

const contextOf = (sim: Simulation, id: string) =>
  (sim.snapshot(id) as { context: RaftContext }).context;

describe('EventQueue', () => {
  it('pops by time, and in insertion order at equal times', () => {
    const q = new EventQueue();
    const out: string[] = [];
    for (const [at, name] of [
      [5, 'c'],
      [1, 'a'],
      [5, 'd'],
      [3, 'b'],
      [1, 'a2'],
    ] as const) {
      q.push(at, () => out.push(name));
    }
    while (q.size > 0) q.pop()?.run();
    expect(out).toEqual(['a', 'a2', 'b', 'c', 'd']);
  });
});

describe('SeededGenerator', () => {
  it('repeats for a seed and stays in range', () => {
    const a = new SeededGenerator(9);
    const b = new SeededGenerator(9);
    const xs = Array.from({ length: 100 }, () => a.between(3, 7));
    expect(xs).toEqual(Array.from({ length: 100 }, () => b.between(3, 7)));
    expect(Math.min(...xs)).toBe(3);
    expect(Math.max(...xs)).toBe(7);
  });
});

describe('Simulation', () => {
  it('elects one leader in a healthy cluster and replays from its seed', () => {
    const run = () => {
      const sim = new Simulation({ nodes: 5, seed: 11 }).checkSafety();
      const leader = electLeader(sim);
      sim.run(1000);
      return { leader, trace: sim.trace.format(), stats: { ...sim.stats } };
    };
    const a = run();
    expect(run()).toEqual(a);
  });

  it('keeps a minority partition from electing and lets the majority carry on', () => {
    const sim = new Simulation({ nodes: 5, seed: 3 }).checkSafety();
    const leader = electLeader(sim);
    const others = sim.ids.filter((id) => id !== leader);
    sim.partition([leader, others[0]!], others.slice(1));
    sim.run(3000);
    const majorityLeader = sim.states().filter((s) => s.isLeader && others.slice(1).includes(s.id));
    expect(majorityLeader).toHaveLength(1);
    expect(sim.node(leader).role).not.toBe('leader');
    // PreVote: the minority never raised its term while cut off.
    expect(sim.node(others[0]!).term).toBe(sim.node(leader).term);
  });

  it('a node back from a partition does not depose a healthy leader', () => {
    const sim = new Simulation({ nodes: 5, seed: 5 }).checkSafety();
    const leader = electLeader(sim);
    const loner = sim.ids.find((id) => id !== leader)!;
    const term = sim.node(leader).term;
    sim.partition(
      [loner],
      sim.ids.filter((id) => id !== loner),
    );
    sim.run(3000);
    sim.heal();
    sim.run(1000);
    expect(sim.agreedLeader()).toBe(leader);
    expect(sim.node(leader).term).toBe(term);
  });

  it('cuts links one way only', () => {
    const sim = new Simulation({ nodes: 3, seed: 1 }).checkSafety();
    const leader = electLeader(sim);
    const follower = sim.ids.find((id) => id !== leader)!;
    sim.cut(follower, leader);
    sim.run(1000);
    // The follower still hears heartbeats, so it keeps following.
    expect(sim.node(follower).leader).toBe(leader);
    expect(sim.agreedLeader()).toBe(leader);
  });

  it('counts loss and duplication', () => {
    const sim = new Simulation({ nodes: 3, seed: 2, network: { loss: 0.2, duplicate: 0.2 } });
    sim.run(3000);
    expect(sim.stats.lost).toBeGreaterThan(0);
    expect(sim.stats.duplicated).toBeGreaterThan(0);
  });

  it('a crashed leader is replaced and a durable restart keeps term and vote', () => {
    const sim = new Simulation({ nodes: 3, seed: 8 }).checkSafety();
    const leader = electLeader(sim);
    const { term, votedFor } = contextOf(sim, leader);
    sim.crash(leader);
    expect(sim.node(leader).up).toBe(false);
    const next = electLeader(sim);
    expect(next).not.toBe(leader);
    sim.restart(leader);
    expect(contextOf(sim, leader).term).toBe(term);
    expect(contextOf(sim, leader).votedFor).toBe(votedFor);
    sim.restart(leader, { durable: false });
    expect(contextOf(sim, leader).term).toBe(0);
  });

  it('a frozen leader loses its lease at once and runs nothing until it thaws', () => {
    const sim = new Simulation({ nodes: 3, seed: 4 }).checkSafety();
    const leader = electLeader(sim);
    sim.freeze(leader, 2000);
    sim.run(200);
    expect(sim.node(leader).frozen).toBe(true);
    expect(sim.node(leader).isLeader).toBe(false);
    const next = electLeader(sim);
    expect(next).not.toBe(leader);
    sim.run(2500);
    expect(sim.node(leader).frozen).toBe(false);
    expect(sim.agreedLeader()).toBe(next);
  });

  it('a resigning leader hands over within a few message delays', () => {
    const sim = new Simulation({ nodes: 5, seed: 6 }).checkSafety();
    const leader = electLeader(sim);
    sim.run(200);
    const start = sim.now;
    sim.send(leader, { type: 'resign' });
    const next = electLeader(sim);
    expect(next).not.toBe(leader);
    // Delays are 1-5 ms: a handover takes a few of them, far below any election timeout.
    expect(sim.now - start).toBeLessThan(50);
  });

  it('reports a violated invariant with its seed and trace', () => {
    const sim = new Simulation({ nodes: 3, seed: 12 }).check((s) =>
      s.now > 100 ? 'time passed' : undefined,
    );
    expect(() => sim.run(1000)).toThrow(SafetyViolation);
    try {
      sim.run(1000);
    } catch (err) {
      expect((err as SafetyViolation).seed).toBe(12);
      expect((err as Error).message).toMatch(/role follower/);
    }
  });
});
