import pg from 'pg';
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { createFollower } from '../../src/kv/index.js';
import { type PostgresStore, postgresStore } from '../../transports/kv/postgres-store.js';
import type { KvHolder, KvWatchEvent } from '../../transports/kv/types.js';
import { kvFaultSuite } from './kv-fault-suite.js';
import { describeWithServer, StoreServer } from './store-servers.js';
import { waitFor } from './wait-for.js';

for (const listen of [true, false]) {
  kvFaultSuite({
    kind: 'postgres',
    name: `KV election on PostgreSQL (${listen ? 'LISTEN/NOTIFY' : 'polling'})`,
    connect: (server) => postgresStore({ url: server.url, timeoutMs: 500, listen }),
    ttlMs: 1500,
  });
}

describeWithServer('postgres', 'PostgreSQL lease store', () => {
  let server: StoreServer;
  let n = 0;
  const stores: PostgresStore[] = [];
  const unwatches: (() => void)[] = [];
  let admin: pg.Client;

  beforeAll(async () => {
    server = await StoreServer.start('postgres');
  }, 120_000);
  afterAll(async () => {
    await admin?.end().catch(() => undefined);
    await server?.dispose();
  });
  afterEach(async () => {
    for (const stop of unwatches.splice(0)) stop();
    await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
    await admin?.end().catch(() => undefined);
    admin = undefined as unknown as pg.Client;
  });

  const fresh = () => `svc/leader-${++n}`;
  const store = (options: Partial<Parameters<typeof postgresStore>[0]> = {}) => {
    const s = postgresStore({ url: server.url, timeoutMs: 2000, ...options });
    stores.push(s);
    return s;
  };
  /** A plain client, as an operator's psql session would be. */
  const sql = async (text: string, values: unknown[] = []) => {
    if (admin === undefined) {
      admin = new pg.Client({ connectionString: server.url });
      admin.on('error', () => undefined);
      await admin.connect();
    }
    return (await admin.query(text, values)).rows;
  };
  const watchAll = (s: PostgresStore, key: string, checkMs?: number) => {
    const events: KvWatchEvent[] = [];
    unwatches.push(s.watch(key, (e) => events.push(e), checkMs === undefined ? {} : { checkMs }));
    return events;
  };
  const lastHolder = (events: KvWatchEvent[]): KvHolder | null | undefined => {
    const holders = events.filter((e) => e.type === 'holder');
    return holders.at(-1)?.holder;
  };

  it('creates its tables as documented, and a second store on them agrees', async () => {
    const a = store({ schema: 'elections', table: 'leases' });
    await a.connect();
    const columns = await sql(
      `SELECT table_name, column_name, data_type FROM information_schema.columns
        WHERE table_schema = 'elections' ORDER BY table_name, ordinal_position`,
    );
    expect(columns).toEqual([
      { table_name: 'leases', column_name: 'name', data_type: 'text' },
      { table_name: 'leases', column_name: 'holder', data_type: 'text' },
      { table_name: 'leases', column_name: 'owner', data_type: 'text' },
      { table_name: 'leases', column_name: 'token', data_type: 'bigint' },
      { table_name: 'leases', column_name: 'expires_at', data_type: 'timestamp with time zone' },
      { table_name: 'leases_fencing', column_name: 'name', data_type: 'text' },
      { table_name: 'leases_fencing', column_name: 'token', data_type: 'bigint' },
    ]);
    const key = fresh();
    const won = await a.acquire({ key, value: 'a', ttlMs: 60_000 });
    expect(won.acquired).toBe(true);
    const b = store({ schema: 'elections', table: 'leases' });
    expect(await b.read(key)).toEqual({ value: 'a', token: 1 });
    // The default tables are others: the same name is free there.
    expect(await store().read(key)).toBeNull();
  });

  it('takes an empty name for exactly one of many candidates racing for it', async () => {
    const key = fresh();
    const racers = Array.from({ length: 8 }, () => store());
    await Promise.all(racers.map((s) => s.connect()));
    const results = await Promise.all(
      racers.map((s, i) => s.acquire({ key, value: `n${i}`, ttlMs: 60_000 })),
    );
    const winners = results.filter((r) => r.acquired);
    expect(winners).toHaveLength(1);
    const winner = winners[0]!;
    const holder = await racers[0]!.read(key);
    expect(holder?.token).toBe(winner.acquired ? winner.token : -1);
    for (const r of results) {
      if (!r.acquired && r.holder !== null) expect(r.holder).toEqual(holder);
    }
  });

  it('raises the fencing token at every change of hands, across deletes and restarts', async () => {
    const key = fresh();
    const s = store();
    const tokens: number[] = [];
    const take = async (value: string, owner?: string) => {
      const r = await s.acquire({ key, value, ttlMs: 60_000, ...(owner ? { owner } : {}) });
      if (!r.acquired) throw new Error(`${value} did not acquire: ${JSON.stringify(r)}`);
      tokens.push(r.token);
      return r;
    };
    const first = await take('a');
    // The same owner acquiring again keeps its lease and its token.
    const again = await take('a', first.owner);
    expect(again.token).toBe(first.token);
    await s.release({ key, owner: first.owner });
    const b = await take('b');
    // An operator removes the row by hand: the counter remembers.
    await sql('DELETE FROM electorate_lease WHERE name = $1', [key]);
    await take('c');
    // And an expired lease taken over by its own owner still counts as a new term.
    await sql(
      `UPDATE electorate_lease SET expires_at = clock_timestamp() - interval '1 second' WHERE name = $1`,
      [key],
    );
    expect(await s.renew({ key, owner: b.owner, ttlMs: 60_000 })).toBe(false);
    await take('d');
    await admin.end().catch(() => undefined);
    admin = undefined as unknown as pg.Client;
    await server.restart();
    await sql('DELETE FROM electorate_lease WHERE name = $1', [key]);
    await waitFor(
      async () => {
        try {
          await take('e');
          return true;
        } catch {
          return false;
        }
      },
      20_000,
      'an acquire after the restart',
      100,
    );
    const distinct = tokens.filter((_, i) => i !== 1);
    for (let i = 1; i < distinct.length; i++) {
      expect(distinct[i]!).toBeGreaterThan(distinct[i - 1]!);
    }
    expect(tokens).toHaveLength(6);
  });

  it('judges expiry on the server clock: a lease past its expires_at is free at once', async () => {
    const key = fresh();
    const a = store();
    const b = store();
    const won = await a.acquire({ key, value: 'a', ttlMs: 60_000 });
    if (!won.acquired) throw new Error('a did not acquire');
    const held = await b.acquire({ key, value: 'b', ttlMs: 60_000 });
    expect(held).toEqual({ acquired: false, holder: { value: 'a', token: won.token } });
    await sql(
      `UPDATE electorate_lease SET expires_at = clock_timestamp() - interval '1 millisecond' WHERE name = $1`,
      [key],
    );
    expect(await b.read(key)).toBeNull();
    expect(await a.renew({ key, owner: won.owner, ttlMs: 60_000 })).toBe(false);
    const taken = await b.acquire({ key, value: 'b', ttlMs: 60_000 });
    expect(taken.acquired && taken.token > won.token).toBe(true);
    // The old owner's release cannot remove the new holder's row.
    await a.release({ key, owner: won.owner });
    expect(await a.read(key)).toEqual({ value: 'b', token: taken.acquired ? taken.token : 0 });
    const rows = await sql(
      `SELECT expires_at > clock_timestamp() + interval '50 seconds' AS long FROM electorate_lease WHERE name = $1`,
      [key],
    );
    expect(rows).toEqual([{ long: true }]);
  });

  it('a watch hears a release through NOTIFY long before it would poll', async () => {
    const key = fresh();
    const holder = store();
    const watcher = store();
    const won = await holder.acquire({ key, value: 'a', ttlMs: 120_000 });
    if (!won.acquired) throw new Error('a did not acquire');
    // Checks every two minutes and a lease of two: only a notification can be this fast.
    const events = watchAll(watcher, key, 120_000);
    await waitFor(() => lastHolder(events)?.value === 'a', 10_000, 'the watch to see a');
    await holder.release({ key, owner: won.owner });
    await waitFor(() => lastHolder(events) === null, 30_000, 'the watch to hear the release');
    const next = await holder.acquire({ key, value: 'b', ttlMs: 120_000 });
    await waitFor(() => lastHolder(events)?.value === 'b', 30_000, 'the watch to hear b');
    expect(lastHolder(events)?.token).toBe(next.acquired ? next.token : -1);
    expect(events.some((e) => e.type === 'error')).toBe(false);
  });

  it('a watch reads again when the lease runs out, with nothing notified', async () => {
    const key = fresh();
    const holder = store();
    const watcher = store();
    await holder.acquire({ key, value: 'a', ttlMs: 1500 });
    const events = watchAll(watcher, key, 120_000);
    await waitFor(() => lastHolder(events)?.value === 'a', 10_000, 'the watch to see a');
    await waitFor(() => lastHolder(events) === null, 30_000, 'the watch to see the lease lapse');
  });

  it('a watch shrugs off notes it did not send, and reads the lease instead', async () => {
    const key = fresh();
    const holder = store();
    const watcher = store();
    const won = await holder.acquire({ key, value: 'a', ttlMs: 120_000 });
    if (!won.acquired) throw new Error('a did not acquire');
    const events = watchAll(watcher, key, 120_000);
    await waitFor(() => lastHolder(events)?.value === 'a', 10_000, 'the watch to see a');
    const junk = [
      'not json',
      '[]',
      JSON.stringify({ name: 42 }),
      JSON.stringify({ name: key, holder: { value: 'mallory', token: -1 }, ttlMs: 1000 }),
      JSON.stringify({ name: key, holder: { value: 'mallory', token: 1e300 }, ttlMs: 1000 }),
      JSON.stringify({ name: key, holder: 'mallory' }),
      'x'.repeat(7000),
    ];
    for (const payload of junk) {
      await sql('SELECT pg_notify($1, $2)', ['public.electorate_lease', payload]);
    }
    // A release by hand, announced only by name: the watch must read to learn of it.
    await sql('DELETE FROM electorate_lease WHERE name = $1', [key]);
    await sql('SELECT pg_notify($1, $2)', [
      'public.electorate_lease',
      JSON.stringify({ name: key }),
    ]);
    await waitFor(() => lastHolder(events) === null, 30_000, 'the watch to read the release');
    const values = events.flatMap((e) => (e.type === 'holder' ? [e.holder?.value ?? null] : []));
    expect(values).toEqual(['a', null]);
    expect(events.some((e) => e.type === 'error')).toBe(false);
  });

  it('without LISTEN, a watch polls', async () => {
    const key = fresh();
    const holder = store();
    const watcher = store({ listen: false, pollMs: 50 });
    const won = await holder.acquire({ key, value: 'a', ttlMs: 120_000 });
    if (!won.acquired) throw new Error('a did not acquire');
    const events = watchAll(watcher, key, 120_000);
    await waitFor(() => lastHolder(events)?.value === 'a', 10_000, 'the watch to see a');
    await holder.release({ key, owner: won.owner });
    await waitFor(() => lastHolder(events) === null, 30_000, 'the watch to see the release');
    const listening = await sql(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN%'`,
    );
    expect(listening).toEqual([{ n: 0 }]);
  });

  it('a lost notification session ends the watch with an error; a follower recovers from it', async () => {
    const key = fresh();
    const holder = store();
    const events = watchAll(store(), key, 120_000);
    const f = createFollower(store(), key, { ttl: 60_000 });
    const errors: Error[] = [];
    f.on('error', (e) => errors.push(e));
    try {
      await f.ready;
      const won = await holder.acquire({ key, value: 'a', ttlMs: 60_000 });
      if (!won.acquired) throw new Error('a did not acquire');
      await waitFor(() => f.leader === 'a', 20_000, 'the follower to name a');
      await waitFor(() => lastHolder(events)?.value === 'a', 10_000, 'the watch to see a');
      // Every session that listens is cut, as a proxy or failover would.
      await sql(
        `SELECT pg_terminate_backend(pid) FROM pg_stat_activity
          WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
      );
      await waitFor(() => events.at(-1)?.type === 'error', 10_000, 'the watch to fail');
      await waitFor(() => errors.length > 0, 20_000, 'an error at the follower');
      await holder.release({ key, owner: won.owner });
      await holder.acquire({ key, value: 'b', ttlMs: 60_000 });
      await waitFor(() => f.leader === 'b', 60_000, 'the follower to name b');
    } finally {
      await f.stop();
    }
  });

  it('refuses schema and table names that cannot be valid', () => {
    const url = 'postgres://u@127.0.0.1:1/db';
    expect(() => postgresStore({ url, schema: 'Bad-Name' })).toThrow(/schema must be/);
    expect(() => postgresStore({ url, table: '1st' })).toThrow(/table must be/);
    expect(() => postgresStore({ url, table: 'x'.repeat(60) })).toThrow(/table must be/);
    expect(() => postgresStore({ url, schema: 's'.repeat(40), table: 't'.repeat(40) })).toThrow(
      /NOTIFY channel/,
    );
    expect(() => postgresStore({ url, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
