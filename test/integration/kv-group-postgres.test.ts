import pg from 'pg';
import { postgresStore } from '../../transports/kv/postgres-store.js';
import { kvGroupSuite } from './kv-group-suite.js';
import { describeWithServer, StoreServer } from './store-servers.js';

// Counted in the client: every statement any store connection sent (the pool's and LISTEN's).
let sent = 0;
let admin: pg.Client | undefined;
const query = pg.Client.prototype.query;
pg.Client.prototype.query = function (this: pg.Client, ...args: unknown[]) {
  if (this !== admin) sent++;
  return (query as (...a: unknown[]) => unknown).apply(this, args);
} as typeof query;

kvGroupSuite({
  name: 'election group on PostgreSQL',
  ttlMs: 1000,
  restTtlMs: 6000,
  describe: (name, suite) => describeWithServer('postgres', name, suite),
  rig: async () => {
    const server = await StoreServer.start('postgres');
    admin = new pg.Client({ connectionString: server.url });
    await admin.connect();
    return {
      connect: () => postgresStore({ url: server.url, timeoutMs: 1000 }),
      handles: async (keys) => {
        const res = await admin!.query<{ owner: string }>(
          'SELECT DISTINCT owner FROM electorate_lease WHERE name = ANY($1::text[])',
          [keys],
        );
        return res.rows.length;
      },
      // PostgreSQL has no lease to end: the group's keep-alives fail from now on.
      kill: async (_group, _store, renewals) => {
        renewals.failing = true;
      },
      requests: async () => sent,
      close: async () => {
        await admin?.end();
        await server.dispose();
      },
    };
  },
});
