import { fetchDiag } from './diag-client.mjs';
import { pollUntilNewLeader, waitForStableLeader } from './leader-polling.mjs';

const TIMEOUT_MS = 5000;
/**
 * After a restart, the members that dial the restarted node retry on a capped exponential
 * backoff (2 s cap by default), so links can stay down for a while after it is back and
 * agrees on the leader. Waiting out the cap means every run starts from a fully connected
 * cluster, which is what this measures; failover right after a restart is another story.
 */
const RECONNECT_SETTLE_MS = 2500;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function total(docs, read) {
  return docs.every((d) => d !== undefined) ? docs.reduce((sum, d) => sum + read(d), 0) : undefined;
}

/**
 * Crash failover: SIGKILL the leader's process, then time until every survivor's /diag names
 * the same new leader. The killed node is restarted and the cluster left to settle between
 * runs (see RECONNECT_SETTLE_MS). Also counts the messages survivors sent per election started during each failover.
 */
export async function measureCrashFailover(cluster, runs, log) {
  const ports = cluster.httpPorts;
  const times = [];
  const messagesPerElection = [];
  let timeouts = 0;
  let restartedAt = Number.NEGATIVE_INFINITY;
  for (let run = 1; run <= runs; run++) {
    await sleep(Math.max(0, restartedAt + RECONNECT_SETTLE_MS - performance.now()));
    const { leader } = await waitForStableLeader(ports);
    const victim = cluster.indexOf(leader);
    const survivors = ports.filter((_, i) => i !== victim);
    const before = await Promise.all(survivors.map((p) => fetchDiag(p)));
    const start = performance.now();
    const exited = cluster.stop(victim, 'SIGKILL');
    const outcome = await pollUntilNewLeader(survivors, leader, { timeoutMs: TIMEOUT_MS });
    const after = await Promise.all(survivors.map((p) => fetchDiag(p)));
    await exited;
    if (outcome === undefined) {
      timeouts++;
      times.push(TIMEOUT_MS);
      log(`failover ${run}/${runs}: ${leader} killed, no agreed leader within ${TIMEOUT_MS} ms`);
    } else {
      const ms = outcome.at - start;
      times.push(ms);
      const sent = total(after, (d) => d.messages.sent) - total(before, (d) => d.messages.sent);
      const elections = total(after, (d) => d.elections) - total(before, (d) => d.elections);
      if (Number.isFinite(sent) && elections > 0) messagesPerElection.push(sent / elections);
      log(
        `failover ${run}/${runs}: ${leader} killed, ${outcome.leader} agreed after ${ms.toFixed(1)} ms` +
          ` (${elections} election${elections === 1 ? '' : 's'}, ${sent} messages)`,
      );
    }
    cluster.start(victim);
    restartedAt = performance.now();
  }
  return { times, timeouts, messagesPerElection };
}
