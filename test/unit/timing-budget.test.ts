import { describe, expect, it } from 'vitest';
import { bullyProtocol } from '../../machines/bully/definition.js';
import type { KvStoreKind } from '../../src/budget/store-expiry-lag.js';
import { timingBudget } from '../../src/budget/timing-budget.js';
import { run } from '../../src/cli/main.js';
import { Simulation } from '../../src/sim/index.js';
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

describe('kv timing budget on a named store', () => {
  const kv = (ttlMs: number, store: KvStoreKind, delayMs = 10) =>
    timingBudget({ protocol: 'kv', options: { ttlMs }, store }, { delayMs });

  // Each store's lag, worked out from how that server expires keys (docs/timing.md), and the
  // one-way delays its watch and acquire take in all.
  it.each([
    ['etcd', 2000, 500 + 50, 6],
    // A 1 s ttl is a 2 s lease, etcd's least; 2.5 s rounds up to 3 s.
    ['etcd', 1000, 1000 + 500 + 50, 6],
    ['etcd', 2500, 500 + 500 + 50, 6],
    // tickTime 2000: sessions under 4 s are raised to 4 s.
    ['zookeeper', 5000, 2000 + 50, 14],
    ['zookeeper', 1000, 3000 + 2000 + 50, 14],
    ['redis', 1000, 100 + 50, 6],
    ['postgres', 1000, 1, 6],
    ['memory', 1000, 1, 4],
  ] as const)('%s with a %i ms ttl: lag %i ms, %i delays', (store, ttlMs, lagMs, delays) => {
    const budget = kv(ttlMs, store);
    expect(budget.store).toBe(store);
    expect(budget.expiryLag?.ms).toBe(lagMs);
    expect(budget.crashFailover.ms).toBe(ttlMs + lagMs + delays * 10);
    expect(budget.crashFailover.formula).toMatch(
      new RegExp(`^ttl \\+ expiry lag \\(${store}\\) \\+ ${delays} × delay`),
    );
  });

  it('adds the round trips a store’s watch and acquire take to the resign handover', () => {
    expect(kv(2000, 'etcd').resignHandover.ms).toBe(60);
    expect(kv(2000, 'zookeeper').resignHandover.ms).toBe(140);
    // Without keyspace events a Redis watch polls every 100 ms.
    expect(kv(2000, 'redis').resignHandover.ms).toBe(60 + 100);
    // A release's notification carries the new holder.
    expect(kv(2000, 'postgres').resignHandover.ms).toBe(40);
    expect(kv(2000, 'memory').resignHandover.ms).toBe(40);
  });

  it('without a store leaves the lag out and says so; a given lag needs no store', () => {
    const bare = timingBudget({ protocol: 'kv', options: { ttlMs: 2000 } });
    expect(bare.crashFailover.ms).toBe(2020);
    expect(bare.expiryLag).toEqual({
      ms: null,
      formula: 'not counted: name the store, or give its lag',
    });
    const given = timingBudget({ protocol: 'kv', options: { ttlMs: 2000 }, expiryLagMs: 309 });
    expect(given.crashFailover).toEqual({
      ms: 2329,
      formula: 'ttl + expiry lag (given) + 4 × delay',
    });
    expect(given.expiryLag).toEqual({ ms: 309, formula: 'given' });
    expect(given.resignHandover.ms).toBe(20);
    // A given lag stands in for the server's; the store's own round trips still count.
    const etcd = timingBudget({
      protocol: 'kv',
      options: { ttlMs: 2000 },
      store: 'etcd',
      expiryLagMs: 309,
    });
    expect(etcd.crashFailover.ms).toBe(2000 + 309 + 6 * 5);
    expect(etcd.expiryLag?.formula).toBe('given (instead of etcd’s default, 550 ms)');
  });

  it('refuses an unknown store or a negative lag', () => {
    expect(() => timingBudget({ protocol: 'kv', store: 'consul' as KvStoreKind })).toThrow(
      /store must be one of etcd, zookeeper, redis, postgres, memory, got consul/,
    );
    expect(() => timingBudget({ protocol: 'kv', expiryLagMs: -1 })).toThrow(
      /expiryLagMs must be zero or more, got -1/,
    );
    expect(() => timingBudget({ protocol: 'kv', expiryLagMs: Number.NaN })).toThrow(RangeError);
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

  it('counts a named store’s expiry lag, by name or by the URL node takes', async () => {
    const byName = await cli(['budget', '--protocol', 'kv', '--ttl', '1s', '--store', 'etcd']);
    const byUrl = await cli([
      'budget',
      '--protocol',
      'kv',
      '--ttl',
      '1s',
      '--store',
      'etcd://127.0.0.1:2379,127.0.0.1:22379',
    ]);
    expect(byName.code).toBe(0);
    expect(byUrl.out).toEqual(byName.out);
    expect(byName.out[0]).toMatch(/^kv on etcd, 3 nodes, /);
    // 1000 + (1000 + 500 + 50) + 6 × 5
    expect(byName.out[1]).toBe(
      'crash failover     2580 ms  (ttl + expiry lag (etcd) + 6 × delay (etcd: the acquire first grants a lease))',
    );
    expect(byName.out[2]).toMatch(
      /^ {2}expiry lag {7}1550 ms {2}\(etcd grants 2 s \(whole seconds/,
    );
    const zk = await cli(['budget', '--protocol', 'kv', '--store', 'zk://[::1]:2181', '--json']);
    expect(JSON.parse(zk.out[0]!)).toMatchObject({ store: 'zookeeper', expiryLag: { ms: 2050 } });
  });

  it('takes --expiry-lag instead of the store’s default, and says so', async () => {
    const { code, out } = await cli([
      'budget',
      '--protocol',
      'kv',
      '--ttl',
      '2s',
      '--store',
      'redis',
      '--expiry-lag',
      '0',
      '--json',
    ]);
    expect(code).toBe(0);
    const printed = JSON.parse(out[0]!);
    expect(printed.crashFailover).toEqual({
      ms: 2030,
      formula:
        'ttl + expiry lag (given) + 6 × delay (Redis: the watch reads the key after the event)',
    });
    expect(printed.expiryLag).toEqual({
      ms: 0,
      formula: 'given (instead of redis’s default, 150 ms)',
    });
  });

  it.each([
    [
      ['--protocol', 'kv', '--store', 'consul'],
      "--store must be etcd, zookeeper, redis, postgres, memory or a store URL like etcd://HOST:PORT, got 'consul'",
    ],
    [
      ['--protocol', 'kv', '--store', 'etcd://nohost'],
      "--store: store etcd://nohost: 'nohost' is not HOST:PORT",
    ],
    [['--protocol', 'kv', '--store', 'consul://h:1'], '--store: store must be etcd://'],
    [
      ['--protocol', 'kv', '--expiry-lag', 'soon'],
      "--expiry-lag must be a whole number of milliseconds, got 'soon'",
    ],
    [['--protocol', 'kv', '--expiry-lag', '-5'], '--expiry-lag must be a whole number'],
    [['--protocol', 'raft', '--store', 'etcd'], '--store applies only to --protocol kv'],
    [['--protocol', 'bully', '--expiry-lag', '10'], '--expiry-lag applies only to --protocol kv'],
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
