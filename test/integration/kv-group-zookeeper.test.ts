import { createRequire } from 'node:module';
import zookeeper from 'node-zookeeper-client';
import { zookeeperStore } from '../../transports/kv/zookeeper-store.js';
import { kvGroupSuite } from './kv-group-suite.js';
import { describeWithServer, StoreServer } from './store-servers.js';

// Counted in the client: every request a session queues (the library's own pings are not
// requests of the store's).
let sent = 0;
const { prototype: manager } = createRequire(import.meta.url)(
  'node-zookeeper-client/lib/ConnectionManager.js',
) as { prototype: { queue: (...args: unknown[]) => unknown } };
const queue = manager.queue;
manager.queue = function (this: unknown, ...args: unknown[]) {
  sent++;
  return queue.apply(this, args);
};

function call<T>(start: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) =>
    start((err, result) => (err ? reject(err) : resolve(result))),
  );
}

kvGroupSuite({
  name: 'election group on ZooKeeper',
  ttlMs: 2000,
  // The test server grants sessions of 4 s at most (20 ticks of 200 ms).
  restTtlMs: 3000,
  // A ZooKeeper acquire is several round trips (directory, znode, listing, claim): within
  // a 3 s TTL's request timeout, a thousand candidates at once time out and start over.
  restElections: 200,
  describe: (name, suite) => describeWithServer('zookeeper', name, suite),
  rig: async () => {
    const server = await StoreServer.start('zookeeper');
    const admin = zookeeper.createClient(`127.0.0.1:${server.port}`, { sessionTimeout: 6000 });
    await new Promise<void>((resolve) => {
      admin.once('connected', () => resolve());
      admin.connect();
    });
    return {
      connect: () => zookeeperStore({ connect: `127.0.0.1:${server.port}`, timeoutMs: 2000 }),
      // The session that owns each election's leading znode (the head of its queue).
      handles: async (keys) => {
        const owners = new Set<string>();
        for (const key of keys) {
          const children = (await call<string[]>((cb) => admin.getChildren(`/${key}`, cb)))
            .filter((c) => c.startsWith('n_'))
            .sort((a, b) => Number(a.slice(-10)) - Number(b.slice(-10)));
          const head = children[0];
          if (head === undefined) continue;
          const stat = await call<zookeeper.Stat>((cb) => admin.exists(`/${key}/${head}`, cb));
          owners.add(stat.ephemeralOwner.toString('hex'));
        }
        return owners.size;
      },
      // The group's keep-alives fail from now on; its lapse then ends the session.
      kill: async (_group, _store, renewals) => {
        renewals.failing = true;
      },
      requests: async () => sent,
      close: async () => {
        admin.close();
        await server.dispose();
      },
    };
  },
});
