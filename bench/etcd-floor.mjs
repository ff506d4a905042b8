// What the etcd server itself costs an election, measured on the server the KV part uses,
// so the printed budget can be held against the processes with the store's own share in.
import { Etcd3 } from 'etcd3';
import { median, worst } from './stats.mjs';

const PUTS = 50;
const EXPIRIES = 8;
const LEASE_S = 2;
/** etcd looks for expired leases every 500 ms: the samples are spread over one such round. */
const SWEEP_MS = 500;

/**
 * Round trips of a put (a disk write on etcd), and how long after a lease's TTL etcd
 * takes to delete its key: a crash failover waits out both.
 */
export async function etcdFloor(hostPort) {
  const client = new Etcd3({ hosts: hostPort });
  const key = `bench/floor-${process.pid}`;
  try {
    const puts = [];
    for (let i = -5; i < PUTS; i++) {
      const t0 = performance.now();
      await client.put(key).value(String(i));
      if (i >= 0) puts.push(performance.now() - t0);
    }
    const lags = await Promise.all(
      Array.from({ length: EXPIRIES }, async (_, i) => {
        // Granted together, they would all meet the same sweep: one draw, not eight.
        await new Promise((r) => setTimeout(r, (i * SWEEP_MS) / EXPIRIES));
        const k = `${key}-lease-${i}`;
        const lease = client.lease(LEASE_S, { autoKeepAlive: false });
        const watcher = await client.watch().key(k).create();
        try {
          const gone = new Promise((resolve) =>
            watcher.on('delete', () => resolve(performance.now())),
          );
          await lease.grant();
          const granted = performance.now();
          await lease.put(k).value('x');
          return (await gone) - granted - LEASE_S * 1000;
        } finally {
          await watcher.cancel();
          lease.release();
        }
      }),
    );
    return { putMedianMs: median(puts), putWorstMs: worst(puts), expiryLagWorstMs: worst(lags) };
  } finally {
    await client.delete().key(key).exec();
    client.close();
  }
}
