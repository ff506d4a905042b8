/**
 * Random fault schedules for a simulated cluster, shared by every property in this folder.
 *
 * A scenario is a simulation seed plus a list of steps (network partitions, one-way cuts,
 * heals, loss, duplication and delay changes, crashes, restarts, freezes, resignations and
 * gaps of virtual time). Most scenarios are random throughout; a quarter open with the one
 * sequence random faults almost never hit (see rejoinScenarios). A failing property prints
 * fast-check's seed and path, the shrunk scenario, and the simulation's own seed and trace.
 *
 * To replay a failure exactly, run the one property again with fast-check's seed and path:
 *
 *   PROPERTY_SEED=-1234567 PROPERTY_PATH='42:3:0' \
 *     npx vitest run test/property/election-safety.test.ts -t 'never two leaders'
 *
 * PROPERTY_RUNS sets the number of runs per property (default 1000); a quick local pass can
 * use far fewer, and a soak far more. Run one property at a time when replaying: a path only
 * means something to the property that printed it.
 */
import fc from 'fast-check';
import type { MemberSpec } from '../../machines/protocol-definition.js';
import type { RaftOptions } from '../../machines/raft/definition.js';
import { type DelayDistribution, SafetyViolation, Simulation } from '../../src/sim/index.js';

export const HEARTBEAT_MS = 50;
export const ELECTION_TIMEOUT_MS: [number, number] = [150, 300];

export type Step =
  | { kind: 'run'; ms: number }
  | { kind: 'partition'; groups: string[][] }
  | { kind: 'cut'; from: string; to: string }
  | { kind: 'heal' }
  | { kind: 'loss'; p: number }
  | { kind: 'duplicate'; p: number }
  | { kind: 'delay'; delay: DelayDistribution }
  | { kind: 'crash'; node: string }
  | { kind: 'restart'; node: string; durable: boolean }
  | { kind: 'freeze'; node: string; ms: number }
  | { kind: 'resign' };

export interface Scenario {
  seed: number;
  steps: Step[];
}

export interface ScheduleOptions {
  ids: string[];
  /**
   * Whether a restart may lose the node's term and vote. Only properties that hold without
   * stable storage may allow it: Raft's safety rests on a vote surviving a crash.
   */
  volatileRestarts: boolean;
  /** Faults in one schedule, each followed by its gap (default 12). */
  maxFaults?: number;
}

/** Loss and duplication as whole percentages, so a shrunk counterexample reads cleanly. */
const percent = fc.integer({ min: 0, max: 30 }).map((p) => p / 100);

const delays: fc.Arbitrary<DelayDistribution> = fc.oneof(
  fc.integer({ min: 0, max: 40 }).map((ms) => ({ kind: 'fixed' as const, ms })),
  fc
    .tuple(fc.integer({ min: 0, max: 20 }), fc.integer({ min: 0, max: 100 }))
    .map(([minMs, spread]) => ({ kind: 'uniform' as const, minMs, maxMs: minMs + spread })),
  fc
    .tuple(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1, max: 80 }))
    .map(([minMs, meanMs]) => ({ kind: 'exponential' as const, minMs, meanMs })),
);

/** Nodes put into up to three groups; nodes left alone in a group are simply isolated. */
function partitions(ids: string[]): fc.Arbitrary<Step> {
  return fc
    .array(fc.integer({ min: 0, max: 2 }), { minLength: ids.length, maxLength: ids.length })
    .map((assignment) => {
      const groups: string[][] = [[], [], []];
      for (const [i, g] of assignment.entries()) groups[g]!.push(ids[i]!);
      return { kind: 'partition' as const, groups: groups.filter((g) => g.length > 0) };
    });
}

function cuts(ids: string[]): fc.Arbitrary<Step> {
  const n = ids.length;
  return fc
    .tuple(fc.integer({ min: 0, max: n - 1 }), fc.integer({ min: 1, max: n - 1 }))
    .map(([from, offset]) => ({
      kind: 'cut' as const,
      from: ids[from]!,
      to: ids[(from + offset) % n]!,
    }));
}

export function faults(options: ScheduleOptions): fc.Arbitrary<Step> {
  const node = fc.constantFrom(...options.ids);
  // Inverted so that shrinking, which drives booleans to false, leans toward durable restarts.
  const durable = options.volatileRestarts ? fc.boolean().map((b) => !b) : fc.constant(true);
  return fc.oneof(
    { weight: 2, arbitrary: partitions(options.ids) },
    { weight: 1, arbitrary: cuts(options.ids) },
    { weight: 2, arbitrary: fc.constant({ kind: 'heal' as const }) },
    { weight: 1, arbitrary: percent.map((p) => ({ kind: 'loss' as const, p })) },
    { weight: 1, arbitrary: percent.map((p) => ({ kind: 'duplicate' as const, p })) },
    { weight: 1, arbitrary: delays.map((delay) => ({ kind: 'delay' as const, delay })) },
    { weight: 2, arbitrary: node.map((id) => ({ kind: 'crash' as const, node: id })) },
    {
      weight: 2,
      arbitrary: fc
        .tuple(node, durable)
        .map(([id, d]) => ({ kind: 'restart' as const, node: id, durable: d })),
    },
    {
      weight: 2,
      arbitrary: fc
        .tuple(node, fc.integer({ min: 10, max: 2000 }))
        .map(([id, ms]) => ({ kind: 'freeze' as const, node: id, ms })),
    },
    { weight: 2, arbitrary: fc.constant({ kind: 'resign' as const }) },
  );
}

/**
 * Each fault is followed by a gap of virtual time, so that a schedule of a few faults is also
 * a few seconds of cluster life: long enough for elections to happen between the faults.
 * A gap shrinks to nothing, which leaves faults that strike at the same instant.
 */
export function randomScenarios(options: ScheduleOptions): fc.Arbitrary<Scenario> {
  const timedFault = fc.tuple(faults(options), fc.integer({ min: 0, max: 800 }));
  return fc
    .record({
      seed: fc.integer(),
      // Slow links from the start make candidacies overlap, which is where split votes and
      // double votes come from; shrinking drops this back to the default fast network.
      opening: fc.option(delays, { nil: undefined }),
      timed: fc.array(timedFault, {
        minLength: 1,
        maxLength: options.maxFaults ?? 12,
        size: 'max',
      }),
    })
    .map(({ seed, opening, timed }) => ({
      seed,
      steps: [
        ...(opening === undefined ? [] : [{ kind: 'delay' as const, delay: opening }]),
        ...timed.flatMap(([fault, ms]): Step[] => [fault, { kind: 'run', ms }]),
      ],
    }));
}

/**
 * Scenarios that open the way a forgotten vote turns into a second vote, then go on with
 * random faults. A minority is cut off, and PreVote keeps it in an older term while the
 * majority elects; then one majority node restarts and is moved over to the minority, whose
 * next candidacy is for the very term that node already voted in. Plain random schedules
 * line this up about once in a few thousand runs; here every run sets it up.
 */
export function rejoinScenarios(options: ScheduleOptions): fc.Arbitrary<Scenario> {
  const { ids } = options;
  const quorum = Math.floor(ids.length / 2) + 1;
  const durable = options.volatileRestarts ? fc.boolean().map((b) => !b) : fc.constant(true);
  const timedFault = fc.tuple(faults(options), fc.integer({ min: 0, max: 800 }));
  return fc
    .record({
      seed: fc.integer(),
      majority: fc.uniqueArray(fc.constantFrom(...ids), { minLength: quorum, maxLength: quorum }),
      mover: fc.nat({ max: quorum - 1 }),
      electionMs: fc.integer({ min: 200, max: 800 }),
      durable,
      rejoinMs: fc.integer({ min: 0, max: 300 }),
      after: fc.array(timedFault, { maxLength: 6 }),
    })
    .map(({ seed, majority, mover, electionMs, durable, rejoinMs, after }) => {
      const minority = ids.filter((id) => !majority.includes(id));
      const moved = majority[mover]!;
      const steps: Step[] = [
        { kind: 'partition', groups: [majority, minority] },
        { kind: 'run', ms: electionMs },
        { kind: 'restart', node: moved, durable },
        { kind: 'run', ms: rejoinMs },
        {
          kind: 'partition',
          groups: [majority.filter((id) => id !== moved), [...minority, moved]],
        },
        ...after.flatMap(([fault, ms]): Step[] => [fault, { kind: 'run', ms }]),
      ];
      return { seed, steps };
    });
}

/** What every property draws from: mostly random schedules, a quarter opening with a rejoin. */
export function scenarios(options: ScheduleOptions): fc.Arbitrary<Scenario> {
  return fc.oneof(
    { weight: 3, arbitrary: randomScenarios(options) },
    { weight: 1, arbitrary: rejoinScenarios(options) },
  );
}

export function simulationFor(seed: number, nodes: number | MemberSpec[] = 5): Simulation {
  return new Simulation<RaftOptions>({
    nodes,
    seed,
    options: { heartbeatMs: HEARTBEAT_MS, electionTimeoutMs: ELECTION_TIMEOUT_MS },
  });
}

/** The leader a user would call resign() on: the newest term's, if any node leads. */
function currentLeader<T>(sim: Simulation<T>): string | undefined {
  let best: { id: string; term: number } | undefined;
  for (const s of sim.states()) {
    if (!s.up || s.role !== 'leader') continue;
    const term = s.term ?? 0;
    if (best === undefined || term > best.term) best = { id: s.id, term };
  }
  return best?.id;
}

/** Applies one step to any protocol's simulation; a protocol with no resignation ignores it. */
export function applyStep<T>(sim: Simulation<T>, step: Step): void {
  switch (step.kind) {
    case 'run':
      sim.run(step.ms);
      break;
    case 'partition':
      sim.partition(...step.groups);
      break;
    case 'cut':
      sim.cut(step.from, step.to);
      break;
    case 'heal':
      sim.heal();
      break;
    case 'loss':
      sim.setFaults({ loss: step.p });
      break;
    case 'duplicate':
      sim.setFaults({ duplicate: step.p });
      break;
    case 'delay':
      sim.setFaults({ delay: step.delay });
      break;
    case 'crash':
      sim.crash(step.node);
      break;
    case 'restart':
      sim.restart(step.node, { durable: step.durable });
      break;
    case 'freeze':
      sim.freeze(step.node, step.ms);
      break;
    case 'resign': {
      const leader = currentLeader(sim);
      if (leader !== undefined) sim.send(leader, { type: 'resign' });
      break;
    }
  }
}

export function runSchedule<T>(sim: Simulation<T>, schedule: readonly Step[]): void {
  for (const step of schedule) applyStep(sim, step);
}

/**
 * Ends every fault the schedule can leave behind: the network heals and turns clean, and
 * crashed nodes come back with their state. Freezes cannot be lifted; they end on their own.
 */
export function recover(sim: Simulation): void {
  sim.heal();
  sim.setFaults({ loss: 0, duplicate: 0, delay: { kind: 'uniform', minMs: 1, maxMs: 5 } });
  for (const s of sim.states()) if (!s.up) sim.restart(s.id, { durable: true });
}

/**
 * Runs `body` against `sim` so that any failure carries the simulation's seed and trace:
 * a violation raised inside the simulation has both already; anything else gets them here.
 */
export function explained<O, T>(sim: Simulation<O>, body: () => T): T {
  try {
    return body();
  } catch (err) {
    if (err instanceof SafetyViolation) throw err;
    const message = err instanceof Error ? err.message : String(err);
    throw new Error(
      `${message} (simulation seed ${sim.seed}, at ${sim.now}ms)\n${sim.trace.format()}`,
      { cause: err },
    );
  }
}

/** fast-check parameters: the run count, and the seed and path of a failure to replay. */
export function propertyParameters<T>(): fc.Parameters<T> {
  const seed = process.env.PROPERTY_SEED;
  const path = process.env.PROPERTY_PATH;
  return {
    numRuns: Number(process.env.PROPERTY_RUNS ?? 1000),
    ...(seed === undefined ? {} : { seed: Number(seed) }),
    ...(path === undefined ? {} : { path }),
  };
}

/** Vitest's time limit for one property: generous, since it scales with the run count. */
export const PROPERTY_TIMEOUT_MS = 20 * 60_000;
