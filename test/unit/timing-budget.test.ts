import { describe, expect, it } from 'vitest';
import { run } from '../../src/cli/main.js';
import { bullyProtocol } from '../../src/protocols/bully.js';
import { Simulation } from '../../src/sim/index.js';
import { timingBudget } from '../../src/timing-budget.js';
import { TIMING as KV_TIMING, KvSimulation } from '../property/kv-store-sim.js';

const DELAY = { kind: 'uniform', minMs: 1, maxMs: 5 } as const;
const SEEDS = Array.from({ length: 60 }, (_, i) => i + 1);

interface Failover {
  ms: number;
  /** Terms or rounds past the first that the new leader needed. */
  retries: number;
}

/** Settles a cluster, waits a seed-chosen moment, crashes (or resigns) the leader, times the rest. */
function failover<T>(sim: Simulation<T>, how: 'crash' | 'resign', phaseMs: number): Failover {
  expect(sim.runUntil((s) => s.agreedLeader() !== undefined, 30_000)).toBe(true);
  sim.run(phaseMs);
  expect(sim.runUntil((s) => s.agreedLeader() !== undefined, 30_000)).toBe(true);
  const old = sim.agreedLeader()!;
  const term = sim.node(old).term ?? 0;
  const start = sim.now;
  if (how === 'crash') sim.crash(old);
  else sim.send(old, { type: 'resign' });
  const settled = sim.runUntil((s) => {
    const now = s.agreedLeader();
    return now !== undefined && now !== old;
  }, 60_000);
  expect(settled).toBe(true);
  const leader = sim.agreedLeader()!;
  return { ms: sim.now - start, retries: Math.max(0, (sim.node(leader).term ?? 0) - term - 1) };
}

describe('timing budget against the simulator', () => {
  it('raft: no crash failover or resign handover in the simulator exceeds the printed bound', () => {
    const options = { heartbeatMs: 50, electionTimeoutMs: [150, 300] as [number, number] };
    const budget = timingBudget({ protocol: 'raft', options }, { nodes: 3, delayMs: DELAY.maxMs });
    let worst = 0;
    for (const seed of SEEDS) {
      const crash = failover(
        new Simulation({ nodes: 3, seed, options, network: { delay: DELAY } }),
        'crash',
        (seed * 7) % 50,
      );
      const bound = budget.crashFailover.ms! + crash.retries * budget.perRetry.ms!;
      expect(crash.ms, `seed ${seed}, ${crash.retries} retries`).toBeLessThanOrEqual(bound);
      if (crash.retries === 0) worst = Math.max(worst, crash.ms);
      const resign = failover(
        new Simulation({ nodes: 3, seed, options, network: { delay: DELAY } }),
        'resign',
        (seed * 7) % 50,
      );
      expect(resign.ms, `seed ${seed} resign`).toBeLessThanOrEqual(budget.resignHandover.ms!);
    }
    // The bound is worth something only if runs come near it: within a third here.
    expect(worst).toBeGreaterThan((budget.crashFailover.ms! * 2) / 3);
  });

  it('bully: no crash failover in the simulator exceeds the printed bound', () => {
    const budget = timingBudget({ protocol: 'bully' }, { nodes: 5, delayMs: DELAY.maxMs });
    let worst = 0;
    for (const seed of SEEDS) {
      const crash = failover(
        new Simulation({ nodes: 5, seed, protocol: bullyProtocol, network: { delay: DELAY } }),
        'crash',
        (seed * 7) % 100,
      );
      // Bully rounds count elections, not retries of one: the bound is for a single fault.
      expect(crash.ms, `seed ${seed}`).toBeLessThanOrEqual(budget.crashFailover.ms!);
      worst = Math.max(worst, crash.ms);
    }
    expect(worst).toBeGreaterThan((budget.crashFailover.ms! * 2) / 3);
  });
});

/** Time from the kv leader's crash or resignation until another candidate leads. */
function kvFailover(seed: number, how: 'crash' | 'resign', phaseMs: number): number {
  const sim = new KvSimulation(seed, ['a', 'b', 'c']);
  sim.apply({ kind: 'delay', min: DELAY.minMs, max: DELAY.maxMs });
  const settle = () => {
    for (let i = 0; i < 10_000 && sim.leaders().length !== 1; i++) sim.run(1);
    expect(sim.leaders()).toHaveLength(1);
  };
  settle();
  sim.run(phaseMs);
  settle();
  const old = sim.leaders()[0]!;
  const start = sim.now;
  sim.apply({ kind: how, node: old });
  for (let i = 0; i < 10_000; i++) {
    const now = sim.leaders();
    if (now.length === 1 && now[0] !== old) return sim.now - start;
    sim.run(1);
  }
  throw new Error(`seed ${seed}: nobody took over`);
}

describe('kv timing budget against the simulated store', () => {
  it('no crash failover or resign handover exceeds the printed bound', () => {
    const budget = timingBudget(
      { protocol: 'kv', options: KV_TIMING },
      { nodes: 3, delayMs: DELAY.maxMs },
    );
    let worst = 0;
    for (const seed of SEEDS) {
      const crash = kvFailover(seed, 'crash', (seed * 7) % 100);
      expect(crash, `seed ${seed}`).toBeLessThanOrEqual(budget.crashFailover.ms!);
      worst = Math.max(worst, crash);
      const resign = kvFailover(seed, 'resign', (seed * 7) % 100);
      expect(resign, `seed ${seed} resign`).toBeLessThanOrEqual(budget.resignHandover.ms!);
    }
    expect(worst).toBeGreaterThan((budget.crashFailover.ms! * 2) / 3);
  });
});

async function cli(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(args, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out, err };
}

describe('electorate budget', () => {
  it('prints the figures the simulator was checked against, for the same flags as node', async () => {
    const { code, out, err } = await cli([
      'budget',
      '--protocol',
      'raft',
      '--heartbeat',
      '50',
      '--election-timeout',
      '150-300',
      '--delay',
      '5',
      '--json',
    ]);
    expect({ code, err }).toEqual({ code: 0, err: [] });
    const printed = JSON.parse(out[0]!);
    const budget = timingBudget(
      { protocol: 'raft', options: { heartbeatMs: 50, electionTimeoutMs: [150, 300] } },
      { nodes: 3, delayMs: 5 },
    );
    expect(printed).toEqual(budget);
    expect(printed.crashFailover.ms).toBe(335);
    expect(printed.pauseTolerance.ms).toBe(15);
    expect(printed.messagesPerSecond).toBe(80);
  });

  it('prints one line per figure in text', async () => {
    const { code, out } = await cli(['budget', '--protocol', 'kv', '--ttl', '2s', '--nodes', '5']);
    expect(code).toBe(0);
    expect(out[0]).toMatch(/^kv, 5 nodes, one-way delay up to 5 ms: ttlMs=2000 /);
    expect(out.find((l) => l.startsWith('crash failover'))).toMatch(/ 2020 ms /);
    expect(out.find((l) => l.startsWith('pause tolerance'))).toMatch(/ 200 ms /);
  });

  it.each([
    [
      ['--protocol', 'raft', '--heartbeat', '80'],
      'must be at most a third of the minimum election timeout',
    ],
    [['--protocol', 'raft', '--ttl', '3s'], '--ttl applies only to --protocol kv'],
    [['--protocol', 'bully', '--announce', '300'], 'must be at most half of --leader-timeout'],
    [['--protocol', 'kv', '--ttl', 'soon'], '--ttl must be a duration'],
    [['--protocol', 'paxos'], 'paxos'],
    [['--protocol', 'raft', '--nodes', '0'], '--nodes must be between 1'],
    [['--heartbeat', '50'], 'missing --protocol'],
  ])('refuses %j with one line and exit code 2', async (args, message) => {
    const { code, out, err } = await cli(['budget', ...args]);
    expect(code).toBe(2);
    expect(out).toEqual([]);
    expect(err).toHaveLength(1);
    expect(err[0]).toContain(message);
  });
});
