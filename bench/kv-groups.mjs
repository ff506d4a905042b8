// KV election groups on a real etcd: three `electorate node --protocol kv --shards N`
// processes, the etcd requests they cost at rest (etcd's own counter) and the leases they
// hold, beside the etcd3 package's Election standing in as many elections.
import { fetchDiag } from './diag-client.mjs';
import { etcd3Campaigns, etcdRequestRate } from './etcd-requests.mjs';
import { NodeCluster } from './node-processes.mjs';
import { GROUP_IDS, rssKiB } from './raft-groups.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Leases etcd holds now (its gRPC gateway's LeaseLeases). */
export async function etcdLeaseCount(hostPort) {
  const res = await fetch(`http://${hostPort}/v3/lease/leases`, { method: 'POST', body: '{}' });
  return ((await res.json()).leases ?? []).length;
}

/** Elections led, summed over every process's /diag group listing. */
async function ledElections(ports) {
  const docs = await Promise.all(ports.map((p) => fetchDiag(p, 5000)));
  if (docs.some((d) => d?.group === undefined)) return 0;
  return docs.reduce((n, d) => n + d.group.elections.filter((e) => e.role === 'leader').length, 0);
}

/**
 * Three processes running `shards` KV elections each on `hostPort`: once every election is
 * led, etcd's requests per second over `seconds` and its lease count; then etcd3 with one
 * client standing in as many elections, measured the same way.
 */
export async function measureKvGroup(hostPort, shards, { ttlSeconds, seconds, settleMs }) {
  const cluster = await NodeCluster.withArgs(GROUP_IDS, (i, httpPort) => [
    'node',
    '--protocol',
    'kv',
    '--id',
    GROUP_IDS[i],
    '--store',
    `etcd://${hostPort}`,
    '--key',
    `bench-group-${shards}`,
    '--ttl',
    `${ttlSeconds}s`,
    '--shards',
    String(shards),
    '--http',
    `127.0.0.1:${httpPort}`,
    '--log',
    'none',
  ]);
  return cluster.measure(async () => {
    const leasesBefore = await etcdLeaseCount(hostPort);
    cluster.startAll();
    const deadline = performance.now() + settleMs;
    while ((await ledElections(cluster.httpPorts)) < shards) {
      if (performance.now() > deadline) return { shards, settled: false };
      await sleep(250);
    }
    await sleep(ttlSeconds * 1000);
    const rate = await etcdRequestRate(hostPort, seconds);
    const leases = (await etcdLeaseCount(hostPort)) - leasesBefore;
    const rss = GROUP_IDS.map((_, i) => rssKiB(cluster.pid(i)));
    return { shards, settled: true, requestsPerSecond: rate, leases, rss };
  });
}

/** The etcd3 package's Election for `count` elections from one client, at rest. */
export async function measureEtcd3(hostPort, count, { ttlSeconds, seconds }) {
  const names = Array.from({ length: count }, (_, i) => `shard-${i}`);
  const leasesBefore = await etcdLeaseCount(hostPort);
  const campaigns = await etcd3Campaigns(hostPort, names, { processes: 1, ttlSeconds });
  try {
    await sleep(ttlSeconds * 1000);
    const rate = await etcdRequestRate(hostPort, seconds);
    return {
      count,
      requestsPerSecond: rate,
      leases: (await etcdLeaseCount(hostPort)) - leasesBefore,
    };
  } finally {
    await campaigns.stop();
  }
}
