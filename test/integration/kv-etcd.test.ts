import { etcdStore } from '../../transports/kv/etcd-store.js';
import { kvFaultSuite } from './kv-fault-suite.js';

kvFaultSuite({
  kind: 'etcd',
  name: 'KV election on etcd',
  connect: (server) => etcdStore({ hosts: `127.0.0.1:${server.port}`, timeoutMs: 500 }),
  // etcd grants leases in whole seconds, and none shorter than its own minimum.
  ttlMs: 2000,
  handles: async (server) => {
    const res = await fetch(`http://127.0.0.1:${server.port}/v3/lease/leases`, {
      method: 'POST',
      body: '{}',
    });
    const body = (await res.json()) as { leases?: unknown[] };
    return body.leases?.length ?? 0;
  },
});
