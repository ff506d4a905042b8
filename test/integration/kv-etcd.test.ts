import { afterAll, beforeAll, expect, it } from 'vitest';
import { etcdStore } from '../../transports/kv/etcd-store.js';
import type { KvStore } from '../../transports/kv/types.js';
import { kvFaultSuite } from './kv-fault-suite.js';
import { describeWithServer, StoreServer } from './store-servers.js';
import { waitFor } from './wait-for.js';

// etcd grants leases in whole seconds, and none shorter than its own minimum.
const TTL_MS = 2000;

/** The ids of every lease the server holds. */
async function leases(server: StoreServer): Promise<string[]> {
  const res = await fetch(`http://127.0.0.1:${server.port}/v3/lease/leases`, {
    method: 'POST',
    body: '{}',
  });
  const body = (await res.json()) as { leases?: { ID: string }[] };
  return (body.leases ?? []).map((l) => l.ID);
}

kvFaultSuite({
  kind: 'etcd',
  name: 'KV election on etcd',
  connect: (server) => etcdStore({ hosts: `127.0.0.1:${server.port}`, timeoutMs: 500 }),
  ttlMs: TTL_MS,
  handles: async (server) => (await leases(server)).length,
});

describeWithServer('etcd', 'etcd store: the lease a waiting candidate keeps', () => {
  let server: StoreServer;
  beforeAll(async () => {
    server = await StoreServer.start('etcd');
  }, 120_000);
  afterAll(async () => {
    await server?.dispose();
  });

  it('keeps the lease of an acquire that found the key held alive, takes the freed key under it, and revokes an unused one', async () => {
    const connect = () => etcdStore({ hosts: `127.0.0.1:${server.port}`, timeoutMs: 500 });
    const [a, b, c] = [connect(), connect(), connect()];
    const key = `electorate/spare-${process.pid}`;
    // The holder renews as a leader would.
    let renewing: NodeJS.Timeout | undefined;
    const hold = (store: KvStore, owner: string) => {
      clearInterval(renewing);
      renewing = setInterval(() => void store.renew({ key, owner, ttlMs: TTL_MS }), TTL_MS / 3);
    };
    try {
      const held = await a.acquire({ key, value: 'a', ttlMs: TTL_MS });
      if (!held.acquired) throw new Error('a did not acquire');
      hold(a, held.owner);
      expect(await b.acquire({ key, value: 'b', ttlMs: TTL_MS })).toMatchObject({
        acquired: false,
        holder: { value: 'a' },
      });
      const spare = (await leases(server)).filter((id) => id !== held.owner);
      expect(spare).toHaveLength(1);
      // Asking again grants nothing new.
      await b.acquire({ key, value: 'b', ttlMs: TTL_MS });
      expect((await leases(server)).filter((id) => id !== held.owner)).toEqual(spare);
      // Kept alive past its TTL while nobody asks.
      const since = Date.now();
      await waitFor(() => Date.now() > since + 1.5 * TTL_MS, 2 * TTL_MS, '1.5 TTLs');
      expect(await leases(server)).toContain(spare[0]);
      // Freed, the key is taken under that lease: no grant on the way.
      clearInterval(renewing);
      await a.release({ key, owner: held.owner });
      const won = await b.acquire({ key, value: 'b', ttlMs: TTL_MS });
      if (!won.acquired) throw new Error('b did not acquire');
      expect(won.owner).toBe(spare[0]);
      hold(b, won.owner);
      // A spare nobody asks for again goes within two TTLs (and a tick).
      expect((await c.acquire({ key, value: 'c', ttlMs: TTL_MS })).acquired).toBe(false);
      expect(await leases(server)).toHaveLength(2);
      await waitFor(
        async () => (await leases(server)).length === 1,
        3 * TTL_MS,
        'the unused spare to be revoked',
        50,
      );
      // Closing a store revokes its spare at once.
      expect((await c.acquire({ key, value: 'c', ttlMs: TTL_MS })).acquired).toBe(false);
      expect(await leases(server)).toHaveLength(2);
      await c.close();
      expect(await leases(server)).toEqual([won.owner]);
    } finally {
      clearInterval(renewing);
      await Promise.all([a, b, c].map((s) => s.close()));
    }
  }, 30_000);
});
