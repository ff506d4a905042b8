import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BullyKind } from '../../machines/bully/messages.js';
import type { DelayDistribution } from '../../src/sim/index.js';
import {
  agreesOnHighest,
  BULLY_IDS,
  type BullySimulation,
  bullyContext,
  bullySimulation,
  highestLive,
  recoverBully,
  runBullySchedule,
  TIMING,
  thawAll,
  views,
} from './bully-schedule.js';
import {
  explained,
  PROPERTY_TIMEOUT_MS,
  propertyParameters,
  randomScenarios,
  type Scenario,
} from './fault-schedule.js';

const ids = BULLY_IDS;
const n = ids.length;
/**
 * Within one leader timeout every follower notices a dead leader, one answer timeout later
 * the highest survivor leads, and a node that got an OK from a node that died too waits
 * one coordinator timeout before it tries again. Three of those cover a chain of such
 * retries with room to spare; the schedules' slowest links add well under a second.
 */
const ROUND_MS = TIMING.leaderTimeoutMs + TIMING.answerTimeoutMs + TIMING.coordinatorTimeoutMs;
const SETTLE_MS = 3 * ROUND_MS;
/** How long a settled cluster is watched: several leader timeouts' worth of announcements. */
const WATCH_MS = 4 * TIMING.leaderTimeoutMs;
/**
 * Messages sent before a partition still arrive after it, as packets already on the wire
 * do. The slowest schedules draw delays from an exponential tail of mean 80 ms, so after
 * this long the chance that one is still in flight is below 1e-10.
 */
const DRAIN_MS = 2000;

const scenarios = randomScenarios({ ids, volatileRestarts: true });

/** Sane links after the faults: no loss or duplication, but reordering within 50 ms. */
const calmDelays: fc.Arbitrary<DelayDistribution> = fc
  .tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 45 }))
  .map(([minMs, spread]) => ({ kind: 'uniform' as const, minMs, maxMs: minMs + spread }));

/** Up to three groups; all in one group is the healed network. */
const groupings: fc.Arbitrary<string[][]> = fc
  .array(fc.integer({ min: 0, max: 2 }), { minLength: n, maxLength: n })
  .map((assignment) => {
    const groups: string[][] = [[], [], []];
    for (const [i, g] of assignment.entries()) groups[g]!.push(ids[i]!);
    return groups.filter((g) => g.length > 0);
  });

function settle(sim: BullySimulation, groups: string[][]): void {
  thawAll(sim);
  const from = sim.now;
  if (!sim.runUntil((s) => groups.every((g) => agreesOnHighest(s, g)), SETTLE_MS)) {
    throw new Error(
      `groups ${JSON.stringify(groups)} not settled ${SETTLE_MS}ms after ${from}ms: ${views(sim)}`,
    );
  }
}

/**
 * The simulator still runs a timer that came due while its node was frozen even when the
 * node cancels it on thawing; the stale timeout then makes a settled follower stand again,
 * and keeps doing so. Until that is fixed, flapping is only watched for in schedules
 * without freezes; two leaders in one group are watched for in every schedule.
 */
describe('bully under random faults', () => {
  it(
    `agrees on the highest live node within ${SETTLE_MS}ms of the faults ending`,
    () => {
      fc.assert(
        fc.property(scenarios, calmDelays, ({ seed, steps }, delay) => {
          const sim = bullySimulation(seed);
          explained(sim, () => {
            runBullySchedule(sim, steps);
            recoverBully(sim, delay);
            settle(sim, [ids]);
            expect(highestLive(sim, ids)).toBe('n5');
          });
        }),
        propertyParameters<[Scenario, DelayDistribution]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'once settled, never more than one leader in a connected group, and nobody flaps',
    () => {
      fc.assert(
        fc.property(scenarios, calmDelays, groupings, ({ seed, steps }, delay, groups) => {
          const sim = bullySimulation(seed);
          explained(sim, () => {
            runBullySchedule(sim, steps);
            recoverBully(sim, delay);
            sim.partition(...groups);
            thawAll(sim);
            sim.run(DRAIN_MS);
            settle(sim, groups);
            const tops = groups.map((g) => highestLive(sim, g)!);
            sim.check((s) => {
              for (const [i, group] of groups.entries()) {
                const leaders = group.filter((id) => s.node(id).role === 'leader');
                if (leaders.length > 1) return `two leaders in ${group.join(',')}: ${leaders}`;
                const strays = group.filter((id) => s.node(id).leader !== tops[i]);
                if (strays.length > 0) {
                  return `${strays} stopped following ${tops[i]}`;
                }
              }
              return undefined;
            });
            sim.run(WATCH_MS);
          });
        }),
        propertyParameters<[Scenario, DelayDistribution, string[][]]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});

type Sent = Record<BullyKind, number>;

function sentBy(sim: BullySimulation, nodes: readonly string[]): Sent {
  const total: Sent = { election: 0, ok: 0, coordinator: 0 };
  for (const id of nodes) {
    const sent = bullyContext(sim, id)!.sent;
    for (const kind of Object.keys(total) as BullyKind[]) total[kind] += sent[kind];
  }
  return total;
}

function roundsOf(sim: BullySimulation, nodes: readonly string[]): number[] {
  return nodes.map((id) => bullyContext(sim, id)!.rounds);
}

describe('bully failover without faults', () => {
  const survivors = ids.slice(0, -1);
  const m = survivors.length;

  it(
    'each survivor stands at most once, and the messages stay within the one-round bound',
    () => {
      fc.assert(
        fc.property(
          fc.integer(),
          calmDelays,
          // Where in the announcement cycle (and how long after the first election) it dies.
          fc.integer({ min: 0, max: 10 * TIMING.announceMs }),
          (seed, delay, crashAfter) => {
            const sim = bullySimulation(seed);
            explained(sim, () => {
              sim.setFaults({ delay });
              settle(sim, [ids]);
              sim.run(crashAfter);
              const rounds = roundsOf(sim, survivors);
              const before = sentBy(sim, survivors);
              const sentBefore = sim.stats.sent;
              sim.crash('n5');
              const crashedAt = sim.now;
              const newLeader = () => sim.node('n4').role === 'leader';
              if (!sim.runUntil(newLeader, ROUND_MS))
                throw new Error(`n4 never led: ${views(sim)}`);
              const ledAt = sim.now;
              if (!sim.runUntil((s) => agreesOnHighest(s, survivors), ROUND_MS)) {
                throw new Error(`survivors never agreed: ${views(sim)}`);
              }
              const agreedAt = sim.now;
              const failoverMs = agreedAt - crashedAt;
              const after = sentBy(sim, survivors);
              const transmissions = sim.stats.sent - sentBefore;
              const sent = {
                election: after.election - before.election,
                ok: after.ok - before.ok,
                coordinator: after.coordinator - before.coordinator,
              };
              // Settled means settled: no survivor stands again once all follow n4.
              sim.run(WATCH_MS);
              const started = roundsOf(sim, survivors).map((r, i) => r - rounds[i]!);
              expect(failoverMs).toBeLessThanOrEqual(ROUND_MS);
              for (const r of started) expect(r).toBeLessThanOrEqual(1);
              // One Election per survivor; an OK from each higher survivor to each of them;
              // the new leader's first Coordinator, one more per lower Election it hears as
              // leader, and its periodic announcements until the last survivor hears it.
              expect(sent.election).toBeLessThanOrEqual(m);
              expect(sent.ok).toBeLessThanOrEqual((m * (m - 1)) / 2);
              const announcements = Math.floor((agreedAt - ledAt) / TIMING.announceMs);
              expect(sent.coordinator).toBeLessThanOrEqual(m + announcements);
              // Each broadcast is one datagram on a multicast group, n - 1 sends point to point.
              const broadcasts = sent.election + sent.ok + sent.coordinator;
              expect(transmissions).toBe(broadcasts * (n - 1));
              expect(broadcasts).toBeLessThanOrEqual(m + (m * (m - 1)) / 2 + m + announcements);
            });
          },
        ),
        propertyParameters<[number, DelayDistribution, number]>(),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );
});
