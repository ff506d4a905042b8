// Raft election groups between three `electorate node --shards N` processes on 127.0.0.1:
// CPU and memory at rest, frames between them, and how long until every election a SIGKILLed
// member led has a new leader.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { freePorts } from '../dist/src/cli/free-ports.js';
import { fetchDiag } from './diag-client.mjs';
import { cpuPercents } from './idle-cpu.mjs';
import { NodeCluster } from './node-processes.mjs';

export const GROUP_IDS = ['n1', 'n2', 'n3'];
const SETTLE_MS = 3000;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resident memory of a process in KiB (VmRSS in /proc/PID/status). */
export function rssKiB(pid) {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1] ?? Number.NaN);
}

/** Each election's agreed leader when every member names the one lease holder; else undefined. */
function agreed(docs) {
  if (docs.length === 0 || docs.some((d) => d?.elections === undefined)) return undefined;
  const leaders = new Map();
  for (const [i, election] of docs[0].elections.entries()) {
    const views = docs.map((d) => d.elections[i]);
    const holders = views.filter((v) => v.isLeader);
    if (holders.length !== 1) return undefined;
    const leader = docs[views.indexOf(holders[0])].id;
    if (!views.every((v) => v.leader === leader && v.term === holders[0].term)) return undefined;
    leaders.set(election.name, leader);
  }
  return leaders;
}

async function waitAgreed(ports, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const docs = await Promise.all(ports.map((p) => fetchDiag(p, 5000)));
    const leaders = agreed(docs);
    if (leaders !== undefined) return leaders;
    if (performance.now() > deadline) return undefined;
    await sleep(100);
  }
}

async function groupCluster(shards, timing) {
  const listen = await freePorts(GROUP_IDS.length);
  const peers = GROUP_IDS.map((id, j) => `${id}=127.0.0.1:${listen[j]}`).join(',');
  return NodeCluster.withArgs(GROUP_IDS, (i, httpPort) => [
    'node',
    '--protocol',
    'raft',
    '--id',
    GROUP_IDS[i],
    '--listen',
    `127.0.0.1:${listen[i]}`,
    '--peers',
    peers,
    '--http',
    `127.0.0.1:${httpPort}`,
    '--shards',
    String(shards),
    '--log',
    'none',
    '--heartbeat',
    String(timing.heartbeatMs),
    '--election-timeout',
    `${timing.electionTimeoutMs[0]}-${timing.electionTimeoutMs[1]}`,
  ]);
}

/**
 * A group of `shards` elections at rest: per process CPU over `seconds`, resident memory,
 * frames per second per link; then, if `kill`, the time from SIGKILLing the member that
 * leads most until every election it led has an agreed new leader. `settled` is false when
 * the elections never all agreed within `settleMs` (nothing else is measured then).
 */
export async function measureRaftGroup(shards, timing, { seconds, settleMs, kill = false }) {
  const cluster = await groupCluster(shards, timing);
  return cluster.measure(async () => {
    cluster.startAll();
    const first = await waitAgreed(cluster.httpPorts, settleMs);
    if (first === undefined) return { shards, settled: false };
    await sleep(SETTLE_MS);
    const pids = GROUP_IDS.map((_, i) => cluster.pid(i));
    const before = await Promise.all(cluster.httpPorts.map((p) => fetchDiag(p, 5000)));
    const start = performance.now();
    const cpu = await cpuPercents(pids, seconds);
    const elapsed = (performance.now() - start) / 1000;
    const after = await Promise.all(cluster.httpPorts.map((p) => fetchDiag(p, 5000)));
    const rss = pids.map(rssKiB);
    const frames = [];
    for (const [i, doc] of after.entries()) {
      for (const peer of doc.link.peers) {
        const was = before[i].link.peers.find((p) => p.id === peer.id);
        frames.push((peer.framesSent - was.framesSent) / elapsed);
      }
    }
    const result = { shards, settled: true, cpu, rss, frames, stable: agreed(after) !== undefined };
    if (!kill) return result;
    const leaders = (await waitAgreed(cluster.httpPorts, settleMs)) ?? first;
    const led = GROUP_IDS.map((id) => [...leaders.values()].filter((l) => l === id).length);
    const victim = led.indexOf(Math.max(...led));
    const orphans = [...leaders].filter(([, l]) => l === GROUP_IDS[victim]).map(([name]) => name);
    const survivors = cluster.httpPorts.filter((_, i) => i !== victim);
    const killedAt = performance.now();
    await cluster.stop(victim, 'SIGKILL');
    const deadline = killedAt + 30_000;
    for (;;) {
      const docs = await Promise.all(survivors.map((p) => fetchDiag(p, 1000)));
      const now = performance.now();
      const ok =
        docs.every((d) => d !== undefined) &&
        orphans.every((name) => {
          const views = docs.map((d) => d.elections.find((e) => e.name === name));
          const holders = views.filter((v) => v.isLeader);
          return holders.length === 1 && views.every((v) => v.term === holders[0].term);
        });
      if (ok) return { ...result, orphans: orphans.length, releadMs: now - killedAt };
      if (now > deadline) return { ...result, orphans: orphans.length, releadMs: Number.NaN };
      await sleep(10);
    }
  });
}

const INDEPENDENT = fileURLToPath(new URL('./independent-raft.mjs', import.meta.url));

/**
 * The same number of independent elections (one transport, listener and set of connections
 * each) in three processes, at rest: per process CPU over `seconds` and resident memory.
 */
export async function measureIndependentRaft(count, timing, { seconds, settleMs }) {
  const all = await freePorts(GROUP_IDS.length * (count + 1));
  const ports = Object.fromEntries(
    GROUP_IDS.map((id, i) => [id, all.slice(i * count, (i + 1) * count)]),
  );
  const httpPorts = all.slice(GROUP_IDS.length * count);
  const children = GROUP_IDS.map((id, i) =>
    spawn(
      process.execPath,
      [INDEPENDENT, JSON.stringify({ id, count, ports, http: httpPorts[i], timing })],
      { stdio: 'ignore' },
    ),
  );
  const exited = children.map((c) => new Promise((resolve) => c.once('exit', resolve)));
  try {
    const leaders = await waitAgreedAt(httpPorts, settleMs);
    if (leaders === undefined) return { count, settled: false };
    await sleep(SETTLE_MS);
    const pids = children.map((c) => c.pid);
    const cpu = await cpuPercents(pids, seconds);
    return { count, settled: true, cpu, rss: pids.map(rssKiB) };
  } finally {
    for (const c of children) if (c.exitCode === null) process.kill(c.pid, 'SIGKILL');
    await Promise.all(exited);
  }
}

async function fetchRoot(port) {
  try {
    const res = await fetch(`http://127.0.0.1:${port}/`, { signal: AbortSignal.timeout(5000) });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

async function waitAgreedAt(ports, timeoutMs) {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const leaders = agreed(await Promise.all(ports.map(fetchRoot)));
    if (leaders !== undefined) return leaders;
    if (performance.now() > deadline) return undefined;
    await sleep(200);
  }
}
