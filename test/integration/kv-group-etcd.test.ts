import { etcdStore } from '../../transports/kv/etcd-store.js';
import { kvGroupSuite } from './kv-group-suite.js';
import { describeWithServer, StoreServer } from './store-servers.js';

/** etcd's own HTTP gateway: what etcdctl would ask. */
async function call(server: StoreServer, path: string, body: unknown): Promise<unknown> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, {
    method: 'POST',
    body: JSON.stringify(body),
  });
  return res.json();
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

kvGroupSuite({
  name: 'election group on etcd',
  // etcd grants leases in whole seconds, 2 s at least.
  ttlMs: 2000,
  restTtlMs: 6000,
  describe: (name, suite) => describeWithServer('etcd', name, suite),
  rig: async () => {
    const server = await StoreServer.start('etcd');
    return {
      connect: () => etcdStore({ hosts: `127.0.0.1:${server.port}`, timeoutMs: 2000 }),
      // The lease each key lives under, as the server reports it.
      handles: async (keys) => {
        const owners = new Set<string>();
        for (const key of keys) {
          const res = (await call(server, '/v3/kv/range', { key: b64(key) })) as {
            kvs?: { lease?: string }[];
          };
          owners.add(res.kvs?.[0]?.lease ?? 'free');
        }
        return owners.size;
      },
      kill: async (group) => {
        await call(server, '/v3/lease/revoke', { ID: group.status().lease });
      },
      // Every gRPC message the server received: unary requests and stream messages alike.
      requests: async () => {
        const text = await (await fetch(`http://127.0.0.1:${server.port}/metrics`)).text();
        let total = 0;
        for (const line of text.split('\n')) {
          if (line.startsWith('grpc_server_msg_received_total{')) {
            total += Number(line.slice(line.lastIndexOf(' ') + 1));
          }
        }
        return total;
      },
      close: () => server.dispose(),
    };
  },
});
