import { postResign } from './diag-client.mjs';
import { pollUntilNewLeader, waitForStableLeader } from './leader-polling.mjs';

const TIMEOUT_MS = 2000;

/** Resign handover: POST /resign to the leader, time until every node's /diag names the next one. */
export async function measureResignHandover(cluster, runs, log) {
  const ports = cluster.httpPorts;
  const times = [];
  let timeouts = 0;
  for (let run = 1; run <= runs; run++) {
    const { leader } = await waitForStableLeader(ports);
    const start = performance.now();
    const reply = postResign(ports[cluster.indexOf(leader)]);
    const outcome = await pollUntilNewLeader(ports, leader, { timeoutMs: TIMEOUT_MS });
    const answer = await reply;
    if (answer?.status !== 202) {
      throw new Error(`POST /resign to ${leader} answered ${answer?.status ?? 'nothing'}`);
    }
    if (outcome === undefined) {
      timeouts++;
      times.push(TIMEOUT_MS);
      log(`resign ${run}/${runs}: ${leader} resigned, no agreed leader within ${TIMEOUT_MS} ms`);
    } else {
      const ms = outcome.at - start;
      times.push(ms);
      log(
        `resign ${run}/${runs}: ${leader} resigned, ${outcome.leader} agreed after ${ms.toFixed(1)} ms`,
      );
    }
  }
  return { times, timeouts };
}
