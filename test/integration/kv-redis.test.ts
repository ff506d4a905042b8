import { redisStore } from '../../transports/kv/redis-store.js';
import { kvFaultSuite } from './kv-fault-suite.js';

for (const notifications of [true, false]) {
  kvFaultSuite({
    kind: 'redis',
    name: `KV election on Redis (keyspace notifications ${notifications ? 'on' : 'off: polling'})`,
    connect: (server) => redisStore({ url: server.url, timeoutMs: 500 }),
    ttlMs: 1500,
    server: { notifications },
  });
}
