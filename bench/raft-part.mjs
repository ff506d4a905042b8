import { timingBudget } from '../dist/src/budget/timing-budget.js';
import { measureCrashFailover } from './crash-failover.mjs';
import { measureIdleCpu } from './idle-cpu.mjs';
import { NodeCluster } from './node-processes.mjs';
import { budgetRow, ms, row } from './report.mjs';
import { measureResignHandover } from './resign-handover.mjs';
import { largeClusterElection, simulatorThroughput } from './simulator.mjs';
import { measureSocketFloor } from './socket-floor.mjs';
import { median, percentile, worst } from './stats.mjs';

const TIMING = { heartbeatMs: 50, electionTimeoutMs: [150, 300] };
const CLUSTER_SIZE = 5;
const IDLE_SECONDS = 10;
/** Unwatched running time before the settled idle measurement. */
const SETTLE_SECONDS = 45;
const SETTLED_IDLE_SECONDS = 20;
const SIM_VIRTUAL_MS = 300_000;
const SIM_SEEDS = [1, 2, 3, 4, 5];
const LARGE_CLUSTER = 1000;

async function measureProcesses(runs, log) {
  const cluster = await NodeCluster.create(CLUSTER_SIZE, TIMING);
  return cluster.measure(async () => {
    cluster.startAll();
    log(`raft: ${CLUSTER_SIZE} node processes on 127.0.0.1, waiting for a leader`);
    const logIdle = (when, result) => {
      for (const n of result.perNode)
        log(`idle cpu, ${when}: ${n.id}${n.leader ? ' (leader)' : ''} ${n.percent.toFixed(2)} %`);
    };
    const fresh = await measureIdleCpu(cluster, IDLE_SECONDS);
    logIdle(`first ${IDLE_SECONDS} s`, fresh);
    log(`raft: running unwatched for ${SETTLE_SECONDS} s before measuring idle CPU again`);
    const idle = await measureIdleCpu(cluster, SETTLED_IDLE_SECONDS, {
      settleSeconds: SETTLE_SECONDS,
    });
    logIdle('settled', idle);
    const resign = await measureResignHandover(cluster, runs, log);
    const failover = await measureCrashFailover(cluster, runs, log);
    return { fresh, idle, resign, failover };
  });
}

function measureSimulator(log) {
  const throughput = simulatorThroughput(SIM_SEEDS, SIM_VIRTUAL_MS);
  for (const t of throughput) {
    log(
      `simulator: seed ${t.seed}, ${t.delivered} messages in ${t.wallSeconds.toFixed(3)} s = ${Math.round(t.perSecond)}/s`,
    );
  }
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
  const { failover, resign, fresh, idle } = await measureProcesses(runs, log);
  const floor = await measureSocketFloor({
    followers: CLUSTER_SIZE - 1,
    heartbeatMs: TIMING.heartbeatMs,
    seconds: SETTLED_IDLE_SECONDS,
  });
  log(
    `bare sockets with the same traffic: sender ${floor.leader.toFixed(2)} %, ` +
      `echoes ${floor.followers.map((p) => p.toFixed(2)).join(' ')} %`,
  );
  const sim = measureSimulator(log);
  const freshPercents = fresh.perNode.map((n) => n.percent);
  const idlePercents = idle.perNode.map((n) => n.percent);
  const leaderIdle = idle.perNode.find((n) => n.leader)?.percent ?? worst(idlePercents);
  const followerIdle = idle.perNode.filter((n) => !n.leader).map((n) => n.percent);
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
    row(
      'Raft idle CPU per node, settled, median',
      median(idlePercents),
      `${median(idlePercents).toFixed(2)} %`,
      '≤ 1 %',
      median(idlePercents) <= 1,
    ),
    row(
      'Raft idle CPU, settled, worst follower',
      worst(followerIdle),
      `${worst(followerIdle).toFixed(2)} %`,
      '≤ 1 %',
      worst(followerIdle) <= 1,
    ),
    row(
      'Raft idle CPU, settled, leader',
      leaderIdle,
      `${leaderIdle.toFixed(2)} %`,
      '≤ 1 %',
      leaderIdle <= 1,
    ),
    row(
      'Bare sockets with the same traffic: sender / median echo',
      floor.leader,
      `${floor.leader.toFixed(2)} % / ${median(floor.followers).toFixed(2)} %`,
    ),
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
      settledIdleSeconds: SETTLED_IDLE_SECONDS,
      simVirtualMs: SIM_VIRTUAL_MS,
      largeCluster: LARGE_CLUSTER,
    },
    raw: {
      failoverMs: failover.times,
      failoverTimeouts: failover.timeouts,
      messagesPerElection: failover.messagesPerElection,
      resignMs: resign.times,
      resignTimeouts: resign.timeouts,
      idleCpu: { firstSeconds: fresh, settled: idle, socketFloor: floor },
      simulator: sim,
    },
  };
}
