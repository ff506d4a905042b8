import { timingBudget } from '../dist/src/budget/timing-budget.js';
import { measureCrashFailover } from './crash-failover.mjs';
import { measureIdleCpu } from './idle-cpu.mjs';
import { describeWindow, measureIdleRatios, settledPercents } from './idle-ratio.mjs';
import { NodeCluster } from './node-processes.mjs';
import { budgetRow, ms, row } from './report.mjs';
import { measureResignHandover } from './resign-handover.mjs';
import { largeClusterElection, simulatorThroughput } from './simulator.mjs';
import { startSocketFloor } from './socket-floor.mjs';
import { median, percentile, worst } from './stats.mjs';

/** The timing of every Raft cluster the bench runs. */
export const TIMING = { heartbeatMs: 50, electionTimeoutMs: [150, 300] };
/** The size of every Raft cluster the bench runs. */
export const CLUSTER_SIZE = 5;
const IDLE_SECONDS = 10;
/** Unwatched running time before the settled idle measurement. */
export const SETTLE_SECONDS = 45;
/** The settled measurement: windows side by side with the bare-socket floor, and their length. */
export const IDLE_WINDOWS = 5;
export const IDLE_WINDOW_SECONDS = 8;
const SIM_VIRTUAL_MS = 300_000;
const SIM_SEEDS = [1, 2, 3, 4, 5];
const LARGE_CLUSTER = 1000;

function logIdle(log, when, result) {
  for (const n of result.perNode)
    log(`idle cpu, ${when}: ${n.id}${n.leader ? ' (leader)' : ''} ${n.percent.toFixed(2)} %`);
}

/**
 * Starts the cluster with the bare-socket floor beside it, measures the first `freshSeconds`
 * after an election if asked, lets both run unwatched for SETTLE_SECONDS, then measures the
 * settled ratios. The floor is stopped however it ends; the cluster is the caller's.
 */
export async function measureSettledIdle(cluster, log, { freshSeconds = 0 } = {}) {
  const floor = await startSocketFloor({
    followers: CLUSTER_SIZE - 1,
    heartbeatMs: TIMING.heartbeatMs,
  });
  try {
    cluster.startAll();
    log(`raft: ${CLUSTER_SIZE} node processes on 127.0.0.1 and a bare-socket floor beside them`);
    const fresh = freshSeconds > 0 ? await measureIdleCpu(cluster, freshSeconds) : undefined;
    if (fresh !== undefined) logIdle(log, `first ${freshSeconds} s`, fresh);
    log(`raft: running unwatched for ${SETTLE_SECONDS} s before measuring idle CPU again`);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_SECONDS * 1000));
    const ratios = await measureIdleRatios(cluster, floor, {
      windows: IDLE_WINDOWS,
      seconds: IDLE_WINDOW_SECONDS,
    });
    for (const [i, w] of ratios.windows.entries()) log(describeWindow(w, i));
    if (ratios.leaderChanges > 0) {
      log(
        `raft: the leader changed ${ratios.leaderChanges} times; those windows were measured again`,
      );
    }
    const settled = settledPercents(ratios);
    logIdle(log, `settled, median of ${IDLE_WINDOWS} windows`, settled);
    return { fresh, ratios, settled };
  } finally {
    floor.stop();
  }
}

/** The settled idle rows: each node's share of a core and the two ratios to the floor. */
export function idleRows(ratios, settled) {
  const idlePercents = settled.perNode.map((n) => n.percent);
  const leaderIdle = settled.perNode.find((n) => n.leader)?.percent ?? worst(idlePercents);
  const followerIdle = settled.perNode.filter((n) => !n.leader).map((n) => n.percent);
  const windows = `${IDLE_WINDOWS} windows of ${IDLE_WINDOW_SECONDS} s`;
  const ratioRows = (who, floorName, r) => [
    row(
      `Raft idle CPU, settled: ${who} / bare ${floorName}, median of ${windows}`,
      r.median,
      `${r.median.toFixed(2)}×`,
      '≤ 1.3×',
      r.median <= 1.3,
    ),
    row(
      `Raft idle CPU, settled: ${who} / bare ${floorName}, worst window`,
      r.worst,
      `${r.worst.toFixed(2)}×`,
    ),
  ];
  // Each node's share of a core, against the target every node should meet.
  const percentRow = (metric, value) =>
    row(metric, value, `${value.toFixed(2)} %`, '≤ 1 %', value <= 1);
  return [
    percentRow('Raft idle CPU per node, settled, median', median(idlePercents)),
    percentRow('Raft idle CPU, settled, worst follower', worst(followerIdle)),
    percentRow('Raft idle CPU, settled, leader', leaderIdle),
    row(
      'Bare sockets with the same traffic, beside it: sender / median echo',
      settled.sender,
      `${settled.sender.toFixed(2)} % / ${settled.echo.toFixed(2)} %`,
    ),
    ...ratioRows('leader', 'sender', ratios.leaderRatio),
    ...ratioRows('median follower', 'echo', ratios.followerRatio),
  ];
}

async function measureProcesses(runs, log) {
  const cluster = await NodeCluster.create(CLUSTER_SIZE, TIMING);
  return cluster.measure(async () => {
    const idle = await measureSettledIdle(cluster, log, { freshSeconds: IDLE_SECONDS });
    const resign = await measureResignHandover(cluster, runs, log);
    const failover = await measureCrashFailover(cluster, runs, log);
    return { ...idle, resign, failover };
  });
}

function measureSimulator(log) {
  const throughput = simulatorThroughput(SIM_SEEDS, SIM_VIRTUAL_MS);
  for (const t of throughput)
    log(
      `simulator: seed ${t.seed}, ${t.delivered} messages in ${t.wallSeconds.toFixed(3)} s = ${Math.round(t.perSecond)}/s`,
    );
  const large = largeClusterElection(LARGE_CLUSTER, 1);
  log(
    `simulator: ${LARGE_CLUSTER} nodes, leader ${large.leader} at ${large.virtualMs} virtual ms after ` +
      `${large.wallSeconds.toFixed(2)} s wall (${large.buildSeconds.toFixed(2)} s to build)`,
  );
  return { throughput, large };
}

/** Raft: five processes on loopback (idle CPU, resign handover, crash failover), then the simulator. */
export async function raftPart(runs, log) {
  log(
    `raft: heartbeat ${TIMING.heartbeatMs} ms, election timeout ${TIMING.electionTimeoutMs.join('-')} ms`,
  );
  const { failover, resign, fresh, ratios, settled } = await measureProcesses(runs, log);
  const sim = measureSimulator(log);
  const freshPercents = fresh.perNode.map((n) => n.percent);
  const simRate = median(sim.throughput.map((t) => t.perSecond));
  const failoverNote = failover.timeouts > 0 ? ` (${failover.timeouts} timed out)` : '';
  const resignNote = resign.timeouts > 0 ? ` (${resign.timeouts} timed out)` : '';
  const budget = timingBudget({ protocol: 'raft', options: TIMING }, { nodes: CLUSTER_SIZE });
  const rows = [
    row(
      'Raft crash failover, median',
      median(failover.times),
      ms(median(failover.times)) + failoverNote,
      '≤ 200 ms',
      median(failover.times) <= 200,
    ),
    row(
      'Raft crash failover, p90',
      percentile(failover.times, 90),
      ms(percentile(failover.times, 90)),
    ),
    row(
      'Raft crash failover, worst',
      worst(failover.times),
      ms(worst(failover.times)),
      '≤ 350 ms',
      worst(failover.times) <= 350,
    ),
    row(
      'Raft resign handover, median',
      median(resign.times),
      ms(median(resign.times)) + resignNote,
      '≤ 20 ms',
      median(resign.times) <= 20,
    ),
    row('Raft resign handover, worst', worst(resign.times), ms(worst(resign.times))),
    // What `electorate budget` prints for this timing, held against what the processes did.
    budgetRow(
      'Raft crash failover, worst, within `electorate budget`',
      failover.times,
      budget.crashFailover,
    ),
    budgetRow(
      'Raft resign handover, worst, within `electorate budget`',
      resign.times,
      budget.resignHandover,
    ),
    row(
      'Raft messages per election (median)',
      median(failover.messagesPerElection),
      median(failover.messagesPerElection).toFixed(1),
    ),
    row(
      `Raft idle CPU per node, first ${IDLE_SECONDS} s after election, median`,
      median(freshPercents),
      `${median(freshPercents).toFixed(2)} %`,
    ),
    ...idleRows(ratios, settled),
    row(
      'Simulator, delivered messages per wall second',
      simRate,
      Math.round(simRate).toLocaleString('en-US'),
      '≥ 200,000',
      simRate >= 200_000,
    ),
    row(
      `Simulated ${LARGE_CLUSTER.toLocaleString('en-US')}-node election, wall time`,
      sim.large.wallSeconds,
      sim.large.leader === null ? 'no leader' : `${sim.large.wallSeconds.toFixed(2)} s`,
      '< 5 s',
      sim.large.leader !== null && sim.large.wallSeconds < 5,
    ),
  ];
  return {
    rows,
    settings: {
      clusterSize: CLUSTER_SIZE,
      ...TIMING,
      idleSeconds: IDLE_SECONDS,
      settleSeconds: SETTLE_SECONDS,
      idleWindows: IDLE_WINDOWS,
      idleWindowSeconds: IDLE_WINDOW_SECONDS,
      simVirtualMs: SIM_VIRTUAL_MS,
      largeCluster: LARGE_CLUSTER,
    },
    raw: {
      failoverMs: failover.times,
      failoverTimeouts: failover.timeouts,
      messagesPerElection: failover.messagesPerElection,
      resignMs: resign.times,
      resignTimeouts: resign.timeouts,
      idleCpu: { firstSeconds: fresh, settled, ratios },
      simulator: sim,
    },
  };
}
