// Frames per second and CPU at rest for a Raft election group of 1, 100 and 1,000 elections,
// between `electorate node --shards N` processes on 127.0.0.1 (MEMBERS of them, default 3;
// TIMING adds timing flags, such as '--heartbeat 200 --election-timeout 600-1200').
//   npm run build && MEMBERS=2 node bench/raft-group-rest.mjs [N ...]
import { freePorts } from '../dist/src/cli/free-ports.js';
import { closeConnections, fetchDiag } from './diag-client.mjs';
import { cpuPercents } from './idle-cpu.mjs';
import { NodeCluster } from './node-processes.mjs';

const MEMBERS = Number(process.env.MEMBERS ?? 3);
const IDS = Array.from({ length: MEMBERS }, (_, i) => `n${i + 1}`);
const TIMING = (process.env.TIMING ?? '').split(' ').filter((a) => a !== '');
const SETTLE_MS = 3000;
const MEASURE_SECONDS = 5;
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** True when, in every election, one member holds the lease and every member names it. */
function allAgreed(docs) {
  if (docs.length === 0 || docs.some((d) => d?.elections === undefined)) return false;
  return docs[0].elections.every((_, i) => {
    const views = docs.map((d) => d.elections[i]);
    const holders = views.filter((v) => v.isLeader);
    if (holders.length !== 1) return false;
    const leader = docs[views.indexOf(holders[0])].id;
    return views.every((v) => v.leader === leader && v.term === holders[0].term);
  });
}

async function measure(shards) {
  const listen = await freePorts(IDS.length);
  const peers = IDS.map((id, j) => `${id}=127.0.0.1:${listen[j]}`).join(',');
  const cluster = await NodeCluster.withArgs(IDS, (i, httpPort) => [
    'node',
    '--protocol',
    'raft',
    '--id',
    IDS[i],
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
    ...TIMING,
  ]);
  return cluster.measure(async () => {
    cluster.startAll();
    const deadline = performance.now() + 120_000;
    let docs = [];
    while (!allAgreed(docs)) {
      if (performance.now() > deadline) throw new Error(`${shards} elections did not settle`);
      await sleep(100);
      docs = await Promise.all(cluster.httpPorts.map((p) => fetchDiag(p, 5000)));
    }
    await sleep(SETTLE_MS);
    const before = await Promise.all(cluster.httpPorts.map((p) => fetchDiag(p, 5000)));
    const start = performance.now();
    const cpu = await cpuPercents(
      IDS.map((_, i) => cluster.pid(i)),
      MEASURE_SECONDS,
    );
    const after = await Promise.all(cluster.httpPorts.map((p) => fetchDiag(p, 5000)));
    const seconds = (performance.now() - start) / 1000;
    const links = [];
    for (const [i, doc] of after.entries()) {
      for (const peer of doc.link.peers) {
        const was = before[i].link.peers.find((p) => p.id === peer.id);
        links.push({
          link: `${doc.id}->${peer.id}`,
          framesPerSecond: (peer.framesSent - was.framesSent) / seconds,
          messagesPerSecond: (peer.messagesSent - was.messagesSent) / seconds,
        });
      }
    }
    const leading = after.map((d) => d.elections.filter((e) => e.isLeader).length);
    return { shards, leading, cpu, links, stable: allAgreed(after) };
  });
}

const counts = process.argv.slice(2).map(Number);
for (const shards of counts.length > 0 ? counts : [1, 100, 1000]) {
  const r = await measure(shards);
  const frames = r.links.map((l) => l.framesPerSecond);
  const pairs = (IDS.length * (IDS.length - 1)) / 2;
  const pairFrames = (frames.reduce((a, b) => a + b, 0) / pairs).toFixed(1);
  console.log(
    `${shards} elections: led ${r.leading.join('/')}; frames/s per pair (both ways) ${pairFrames}; ` +
      `per link ${frames.map((f) => f.toFixed(1)).join(' ')}; ` +
      `messages/s per link ${r.links.map((l) => l.messagesPerSecond.toFixed(0)).join(' ')}; ` +
      `CPU % ${r.cpu.map((c) => c.toFixed(1)).join(' ')}; still agreed: ${r.stable}`,
  );
}
closeConnections();
