import {
  LES_LOOP_RATE_S,
  measureLesFailover,
  startAndWait,
  startLesCluster,
  startSilentSeed,
} from './les-failover.mjs';
import { ms, row } from './report.mjs';
import { median, worst } from './stats.mjs';

/** The reference implementation, measured the same way, fails over in 1.3-1.5 s (median). */
const POLL_MEDIAN_TARGET_MS = 1000;
const PUSH_MEDIAN_TARGET_MS = 100;

async function measure(runs, log, push, silentSeed) {
  const label = push ? 'les push failover' : 'les poll failover';
  const cluster = await startLesCluster(silentSeed.address, { push });
  return cluster.measure(async () => {
    for (let i = 0; i < cluster.ids.length; i++) await startAndWait(cluster, i);
    log(`les: ${cluster.ids.length} node processes, push ${push ? 'on' : 'off'}`);
    return measureLesFailover(cluster, runs, log, label);
  });
}

function failoverRows(label, result, target) {
  const note = result.timeouts > 0 ? ` (${result.timeouts} timed out)` : '';
  return [
    row(
      `${label}, median`,
      median(result.times),
      ms(median(result.times)) + note,
      `≤ ${target} ms`,
      median(result.times) <= target,
    ),
    row(`${label}, worst`, worst(result.times), ms(worst(result.times))),
  ];
}

/**
 * LES: crash failover of three processes over HTTP on loopback, a seed that never answers
 * among their seeds, with a one-second loop: polling alone, then with WebSocket push.
 */
export async function lesPart(runs, log) {
  log(`les: loop rate ${LES_LOOP_RATE_S} s, 3 nodes, one silent seed`);
  const silentSeed = await startSilentSeed();
  try {
    const poll = await measure(runs, log, false, silentSeed);
    const push = await measure(runs, log, true, silentSeed);
    return {
      rows: [
        ...failoverRows(
          `LES crash failover, polling (loop ${LES_LOOP_RATE_S} s)`,
          poll,
          POLL_MEDIAN_TARGET_MS,
        ),
        ...failoverRows('LES crash failover, WebSocket push', push, PUSH_MEDIAN_TARGET_MS),
      ],
      settings: { clusterSize: 3, loopRateSeconds: LES_LOOP_RATE_S, silentSeed: true },
      raw: { poll, push },
    };
  } finally {
    silentSeed.close();
  }
}
