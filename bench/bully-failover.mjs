import { randomInt } from 'node:crypto';
import { fetchDiag } from './diag-client.mjs';
import { pollUntilNewLeader, waitForStableLeader } from './leader-polling.mjs';
import { NodeCluster } from './node-processes.mjs';

export const BULLY_TIMING = { announceMs: 100, leaderTimeoutMs: 500, answerTimeoutMs: 100 };
const SIZE = 5;
const TIMEOUT_MS = 5000;
/**
 * Rounds are counted this long after the survivors agree, so one that a survivor starts
 * late (a second go after a lost answer) is counted against the failover that caused it.
 */
const AFTERMATH_MS = 1000;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A group and port of its own, so a concurrent run or test on this host is never heard. */
function randomGroup() {
  return `239.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}:${randomInt(20_000, 60_000)}`;
}

/** The pid every document names as leader, if all are present and agree and that node leads. */
function agreedPid(docs) {
  if (docs.some((d) => d === undefined)) return undefined;
  const pid = docs[0].leaderPid;
  if (pid === undefined || !docs.every((d) => d.leaderPid === pid)) return undefined;
  const holder = docs.find((d) => d.leader === d.id);
  return holder?.role === 'leader' && holder.leaderPid === pid ? pid : undefined;
}

function sum(docs, read) {
  return docs.every((d) => d !== undefined) ? docs.reduce((s, d) => s + read(d), 0) : undefined;
}

/** Five Bully members on a fresh multicast group on loopback: node i has pid i + 1. */
export async function startBullyCluster() {
  const group = randomGroup();
  const ids = Array.from({ length: SIZE }, (_, i) => `n${i + 1}`);
  const cluster = await NodeCluster.withArgs(ids, (i, httpPort) => [
    'node',
    '--protocol',
    'bully',
    '--transport',
    'udp',
    '--group',
    group,
    '--iface',
    '127.0.0.1',
    '--pid',
    String(i + 1),
    '--http',
    `127.0.0.1:${httpPort}`,
    '--announce',
    String(BULLY_TIMING.announceMs),
    '--leader-timeout',
    String(BULLY_TIMING.leaderTimeoutMs),
    '--answer-timeout',
    String(BULLY_TIMING.answerTimeoutMs),
    '--log',
    'none',
  ]);
  cluster.group = group;
  return cluster;
}

/**
 * Crash failover: SIGKILL the leader's process, then time until every survivor's /diag names
 * the same new leader pid. Survivors' `term` is the number of election rounds each started,
 * so the difference across a failover says whether each stood at most once. The killed node
 * is restarted between runs (it takes over again, having the highest pid) and the cluster
 * left until it is stable.
 */
export async function measureBullyFailover(cluster, runs, log) {
  const ports = cluster.httpPorts;
  const times = [];
  const roundsPerFailover = [];
  const messagesPerFailover = [];
  let oneRound = 0;
  let counted = 0;
  let timeouts = 0;
  for (let run = 1; run <= runs; run++) {
    const { leader } = await waitForStableLeader(ports, { agree: agreedPid });
    const victim = Number(leader) - 1;
    const survivors = ports.filter((_, i) => i !== victim);
    const before = await Promise.all(survivors.map((p) => fetchDiag(p)));
    const start = performance.now();
    const exited = cluster.stop(victim, 'SIGKILL');
    const outcome = await pollUntilNewLeader(survivors, leader, {
      timeoutMs: TIMEOUT_MS,
      leaderOf: (doc) => doc.leaderPid,
    });
    const atAgreement = await Promise.all(survivors.map((p) => fetchDiag(p)));
    await exited;
    await sleep(AFTERMATH_MS);
    const after = await Promise.all(survivors.map((p) => fetchDiag(p)));
    const rounds =
      before.every((d) => d !== undefined) && after.every((d) => d !== undefined)
        ? after.map((d, i) => d.term - before[i].term)
        : undefined;
    if (rounds !== undefined) {
      counted++;
      if (rounds.every((r) => r <= 1)) oneRound++;
      roundsPerFailover.push(rounds);
    }
    const sent = sum(atAgreement, (d) => d.messages.sent) - sum(before, (d) => d.messages.sent);
    if (Number.isFinite(sent)) messagesPerFailover.push(sent);
    const roundsText = rounds === undefined ? 'rounds unknown' : `rounds ${rounds.join('/')}`;
    if (outcome === undefined) {
      timeouts++;
      times.push(TIMEOUT_MS);
      log(
        `bully failover ${run}/${runs}: pid ${leader} killed, no agreed leader within ${TIMEOUT_MS} ms`,
      );
    } else {
      const ms = outcome.at - start;
      times.push(ms);
      log(
        `bully failover ${run}/${runs}: pid ${leader} killed, pid ${outcome.leader} agreed after ` +
          `${ms.toFixed(1)} ms (${roundsText}, ${sent} datagrams)`,
      );
    }
    cluster.start(victim);
  }
  return {
    times,
    timeouts,
    roundsPerFailover,
    oneRoundShare: counted === 0 ? Number.NaN : oneRound / counted,
    messagesPerFailover,
  };
}
