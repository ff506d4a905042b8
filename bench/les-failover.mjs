import net from 'node:net';
import { freePorts } from '../dist/src/cli/free-ports.js';
import { fetchDiag } from './diag-client.mjs';
import { pollUntilNewLeader, waitForStableLeader } from './leader-polling.mjs';
import { NodeCluster } from './node-processes.mjs';

export const LES_LOOP_RATE_S = 1;
const SIZE = 3;
const TIMEOUT_MS = 10_000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A seed that accepts connections and never answers: the reference waits out its 3 s
 * timeout on every loop because of one like it.
 */
export async function startSilentSeed() {
  const sockets = new Set();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    address: `127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/**
 * Three LES members on 127.0.0.1, each with a diag server, a one-second loop, and the
 * silent seed among their seeds. Nodes start one after another, so node 0 is the oldest.
 */
export async function startLesCluster(silentSeed, { push }) {
  const lesPorts = await freePorts(SIZE);
  const ids = lesPorts.map((p) => `127.0.0.1:${p}`);
  const seeds = [...ids, silentSeed].join(',');
  const cluster = await NodeCluster.withArgs(ids, (i, httpPort) => [
    'node',
    '--protocol',
    'les',
    '--bind-interface',
    '127.0.0.1',
    '--bind-port',
    String(lesPorts[i]),
    '--advertise-addr',
    ids[i],
    '--seeds',
    seeds,
    '--loop-rate',
    String(LES_LOOP_RATE_S),
    ...(push ? [] : ['--no-push']),
    '--http',
    `127.0.0.1:${httpPort}`,
    '--log',
    'none',
  ]);
  return cluster;
}

/** Starts node i and waits until its diag server answers, so start order is seniority. */
export async function startAndWait(cluster, i) {
  cluster.start(i);
  const deadline = performance.now() + 10_000;
  while ((await fetchDiag(cluster.httpPorts[i])) === undefined) {
    if (performance.now() > deadline) throw new Error(`${cluster.ids[i]} did not start`);
    await sleep(20);
  }
}

/**
 * Crash failover: SIGKILL the leader (always the oldest node), then time until every
 * survivor's /diag names the same new leader and that node leads. The killed node is
 * restarted between runs, as the cluster's most junior member, and the cluster left until
 * it is stable with all three members known everywhere.
 */
export async function measureLesFailover(cluster, runs, log, label) {
  const ports = cluster.httpPorts;
  const times = [];
  let timeouts = 0;
  for (let run = 1; run <= runs; run++) {
    const { leader } = await waitForStableLeader(ports, { timeoutMs: 30_000 });
    const everyoneKnown = async () => {
      const docs = await Promise.all(ports.map((p) => fetchDiag(p)));
      return docs.every((d) => d?.members.length === SIZE);
    };
    while (!(await everyoneKnown())) await sleep(50);
    // Kill at a random point of the loop, as a real crash would come.
    await sleep(Math.random() * LES_LOOP_RATE_S * 1000);
    const victim = cluster.indexOf(leader);
    const survivors = ports.filter((_, i) => i !== victim);
    const start = performance.now();
    const exited = cluster.stop(victim, 'SIGKILL');
    const outcome = await pollUntilNewLeader(survivors, leader, { timeoutMs: TIMEOUT_MS });
    await exited;
    if (outcome === undefined) {
      timeouts++;
      times.push(TIMEOUT_MS);
      log(`${label} ${run}/${runs}: ${leader} killed, no agreed leader within ${TIMEOUT_MS} ms`);
    } else {
      const ms = outcome.at - start;
      times.push(ms);
      log(
        `${label} ${run}/${runs}: ${leader} killed, ${outcome.leader} agreed after ${ms.toFixed(1)} ms`,
      );
    }
    await startAndWait(cluster, victim);
  }
  return { times, timeouts };
}
