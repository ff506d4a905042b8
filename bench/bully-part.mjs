import { timingBudget } from '../dist/src/budget/timing-budget.js';
import { BULLY_TIMING, measureBullyFailover, startBullyCluster } from './bully-failover.mjs';
import { simulateBullyFailover } from './bully-sim-failover.mjs';
import { budgetRow, ms, row } from './report.mjs';
import { median, worst } from './stats.mjs';

const MEDIAN_TARGET_MS = 600;
const WORST_TARGET_MS = 900;
const ONE_ROUND_TARGET = 0.99;
const SIM_SEEDS = Array.from({ length: 200 }, (_, i) => i + 1);

const share = (v) => (Number.isNaN(v) ? 'n/a' : `${(v * 100).toFixed(1)} %`);

async function measureProcesses(runs, log) {
  const cluster = await startBullyCluster();
  return cluster.measure(async () => {
    cluster.startAll();
    log(`bully: ${cluster.ids.length} node processes on multicast group ${cluster.group}`);
    return measureBullyFailover(cluster, runs, log);
  });
}

function failoverRows(label, result) {
  const note = result.timeouts > 0 ? ` (${result.timeouts} timed out)` : '';
  return [
    row(
      `${label}, median`,
      median(result.times),
      ms(median(result.times)) + note,
      `≤ ${MEDIAN_TARGET_MS} ms`,
      median(result.times) <= MEDIAN_TARGET_MS,
    ),
    row(
      `${label}, worst`,
      worst(result.times),
      ms(worst(result.times)),
      `≤ ${WORST_TARGET_MS} ms`,
      worst(result.times) <= WORST_TARGET_MS,
    ),
    row(
      `${label}, every survivor stood at most once`,
      result.oneRoundShare,
      share(result.oneRoundShare),
      `≥ ${ONE_ROUND_TARGET * 100} %`,
      result.oneRoundShare >= ONE_ROUND_TARGET,
    ),
    row(
      `${label}, datagrams until agreement (median)`,
      median(result.messagesPerFailover),
      String(median(result.messagesPerFailover)),
    ),
  ];
}

/**
 * Bully: crash failover of five processes on a multicast group on loopback, then the same
 * measure in the simulator.
 */
export async function bullyPart(runs, log) {
  log(
    `bully: announce ${BULLY_TIMING.announceMs} ms, leader timeout ${BULLY_TIMING.leaderTimeoutMs} ms, ` +
      `answer timeout ${BULLY_TIMING.answerTimeoutMs} ms`,
  );
  const processes = await measureProcesses(runs, log);
  const sim = simulateBullyFailover(SIM_SEEDS, BULLY_TIMING);
  log(
    `bully simulator: ${sim.seeds} seeds in ${sim.wallSeconds.toFixed(2)} s wall, median ` +
      `${ms(median(sim.times))}, worst ${ms(worst(sim.times))} virtual, one round ${share(sim.oneRoundShare)}`,
  );
  return {
    rows: [
      ...failoverRows('Bully crash failover', processes),
      budgetRow(
        'Bully crash failover, worst, within `electorate budget`',
        processes.times,
        timingBudget({ protocol: 'bully', options: BULLY_TIMING }, { nodes: 5 }).crashFailover,
      ),
      ...failoverRows(`Bully simulated failover (${sim.seeds} seeds, virtual time)`, sim),
    ],
    settings: { clusterSize: 5, ...BULLY_TIMING, simSeeds: SIM_SEEDS.length },
    raw: { processes, simulator: sim },
  };
}
