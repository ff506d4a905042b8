import { Redis } from 'ioredis';
import { redisStore } from '../../transports/kv/redis-store.js';
import { kvGroupSuite } from './kv-group-suite.js';
import { describeWithServer, StoreServer } from './store-servers.js';

// Counted in the client: the server's own counts include the commands a script runs.
let sent = 0;
const sendCommand = Redis.prototype.sendCommand;
Redis.prototype.sendCommand = function (this: Redis, ...args: Parameters<Redis['sendCommand']>) {
  sent++;
  return sendCommand.apply(this, args);
};

kvGroupSuite({
  name: 'election group on Redis',
  ttlMs: 1000,
  restTtlMs: 6000,
  describe: (name, suite) => describeWithServer('redis', name, suite),
  rig: async () => {
    const server = await StoreServer.start('redis');
    const admin = new Redis(server.url);
    return {
      connect: () => redisStore({ url: server.url, timeoutMs: 500 }),
      // The owner each key names ("TOKEN OWNER VALUE").
      handles: async (keys) =>
        new Set((await admin.mget(...keys)).map((raw) => raw?.split(' ')[1] ?? 'free')).size,
      // Redis has no lease to end: the group's keep-alives fail from now on.
      kill: async (_group, _store, renewals) => {
        renewals.failing = true;
      },
      // Every command a client sent (this test's own MGETs run outside the counted window).
      requests: async () => sent,
      close: async () => {
        admin.disconnect();
        await server.dispose();
      },
    };
  },
});
