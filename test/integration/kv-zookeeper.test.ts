import zookeeper from 'node-zookeeper-client';
import { zookeeperStore } from '../../transports/kv/zookeeper-store.js';
import { kvFaultSuite } from './kv-fault-suite.js';
import type { StoreServer } from './store-servers.js';

/** Znodes queued under the key, read through a client of its own. */
function queued(server: StoreServer, key: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const client = zookeeper.createClient(`127.0.0.1:${server.port}`, { sessionTimeout: 2000 });
    const timer = setTimeout(() => {
      client.close();
      reject(new Error('could not list the queue'));
    }, 3000);
    client.once('connected', () => {
      client.getChildren(`/${key}`, (err, children) => {
        clearTimeout(timer);
        client.close();
        if (err && (err as { getCode?: () => number }).getCode?.() === -101) resolve(0);
        else if (err) reject(err);
        else resolve(children.length);
      });
    });
    client.connect();
  });
}

kvFaultSuite({
  kind: 'zookeeper',
  name: 'KV election on ZooKeeper',
  connect: (server) => zookeeperStore({ connect: `127.0.0.1:${server.port}`, timeoutMs: 500 }),
  ttlMs: 2000,
  handles: queued,
});
