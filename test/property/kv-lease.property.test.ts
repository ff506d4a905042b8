import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PROPERTY_TIMEOUT_MS, propertyParameters } from './fault-schedule.js';
import { KvSimulation, type KvStep, TIMING } from './kv-store-sim.js';

/**
 * KV-lease safety under store delays and outages, candidate crashes and resignations, in
 * virtual time over the memory store: whoever may act as leader holds the key at the store
 * (two valid leases never overlap) and fencing tokens grow with every new holder. After the
 * faults end, one leader emerges. A failure prints fast-check's seed and path (replay with
 * PROPERTY_SEED and PROPERTY_PATH, see fault-schedule.ts) and the run's trace.
 */
const IDS = ['a', 'b', 'c'];

const node = fc.constantFrom(...IDS);

const step: fc.Arbitrary<KvStep> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.integer({ min: 1, max: 600 }).map((ms) => ({ kind: 'run' as const, ms })),
  },
  {
    weight: 2,
    arbitrary: fc
      .integer({ min: 1, max: 3 * TIMING.ttlMs })
      .map((ms) => ({ kind: 'outage' as const, ms })),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.integer({ min: 0, max: 150 }), fc.integer({ min: 0, max: 150 }))
      .map(([x, y]) => ({ kind: 'delay' as const, min: Math.min(x, y), max: Math.max(x, y) })),
  },
  { weight: 1, arbitrary: node.map((n) => ({ kind: 'crash' as const, node: n })) },
  { weight: 1, arbitrary: node.map((n) => ({ kind: 'restart' as const, node: n })) },
  { weight: 1, arbitrary: node.map((n) => ({ kind: 'resign' as const, node: n })) },
);

const scenario = fc.record({
  seed: fc.integer(),
  steps: fc.array(step, { maxLength: 25 }),
});

function explained<T>(sim: KvSimulation, body: () => T): T {
  try {
    return body();
  } catch (err) {
    throw new Error(
      `${(err as Error).message} (simulation seed ${sim.seed})\n${sim.formatTrace()}`,
      { cause: err },
    );
  }
}

describe('KV-lease under store faults (memory store, virtual time)', () => {
  it(
    'never two valid leases at once; fencing tokens grow with every new holder; a leader after the faults end',
    () => {
      fc.assert(
        fc.property(scenario, ({ seed, steps }) => {
          const sim = new KvSimulation(seed, IDS);
          explained(sim, () => {
            for (const s of steps) sim.apply(s);
            // Faults over: every candidate back, a quick link, time for backoffs and leases.
            for (const id of IDS) sim.apply({ kind: 'restart', node: id });
            sim.apply({ kind: 'delay', min: 0, max: 5 });
            sim.run(3 * TIMING.ttlMs + TIMING.backoffMaxMs * 4);
            expect(sim.leaders()).toHaveLength(1);
          });
          for (let i = 1; i < sim.grants.length; i++) {
            const [prev, cur] = [sim.grants[i - 1]!, sim.grants[i]!];
            if (cur.id !== prev.id) expect(cur.token).toBeGreaterThan(prev.token);
          }
        }),
        propertyParameters(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
