// etcd's own count of the requests it received (every unary call and every message on a
// stream, keep-alives included), and the etcd3 package's Election standing in many
// elections at once: the anchor for the requests a process's elections cost at rest.
import { Etcd3 } from 'etcd3';

/** Messages etcd's gRPC server has received so far, over every method. */
export async function etcdRequestsReceived(hostPort) {
  const text = await (await fetch(`http://${hostPort}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith('grpc_server_msg_received_total{')) total += Number(line.split(' ').pop());
  }
  return total;
}

/** Requests etcd receives per second over `seconds`, measured from its own counters. */
export async function etcdRequestRate(hostPort, seconds) {
  const before = await etcdRequestsReceived(hostPort);
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
  const after = await etcdRequestsReceived(hostPort);
  return (after - before) / ((performance.now() - start) / 1000);
}

/**
 * `processes` etcd3 clients, each campaigning in every one of `elections` (the way three
 * processes would each stand for every shard); resolves once every election has a leader.
 */
export async function etcd3Campaigns(hostPort, elections, { processes = 3, ttlSeconds = 2 } = {}) {
  const clients = Array.from(
    { length: processes },
    () => new Etcd3({ hosts: `http://${hostPort}` }),
  );
  const campaigns = [];
  const led = new Set();
  for (const [p, client] of clients.entries()) {
    for (const name of elections) {
      const campaign = client.election(`bench-etcd3/${name}`, ttlSeconds).campaign(`p${p}`);
      campaign.on('elected', () => led.add(name));
      campaign.on('error', () => {});
      campaigns.push(campaign);
    }
  }
  const deadline = Date.now() + 120_000;
  while (led.size < elections.length) {
    if (Date.now() > deadline)
      throw new Error(`etcd3: ${led.size} of ${elections.length} elections led`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return {
    async stop() {
      await Promise.all(campaigns.map((c) => c.resign().catch(() => {})));
      for (const client of clients) client.close();
    },
  };
}
