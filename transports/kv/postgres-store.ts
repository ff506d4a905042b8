import { randomBytes } from 'node:crypto';
import type { Client, ClientConfig, Pool, PoolConfig } from 'pg';
import type { KvGroupCapable, KvGroupStore } from './group-types.js';
import { PostgresGroup } from './postgres-group.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
  WatchOptions,
} from './types.js';
import { loadClient, withTimeout } from './types.js';
import { WatchFeed } from './watch-feed.js';

/** Options of `postgresStore`. */
export interface PostgresStoreOptions {
  /** `postgres://USER[:PASSWORD]@HOST:PORT/DB` (anything node-postgres takes; `PG*` variables apply). */
  url: string;
  /** The schema that holds the tables (default `public`); created if missing. */
  schema?: string;
  /** The lease table (default `electorate_lease`); its counters live in `<table>_fencing`. */
  table?: string;
  /** Deadline of each statement and of connecting (default 2000 ms). */
  timeoutMs?: number;
  /**
   * Follow changes with LISTEN/NOTIFY (default true). Turn it off behind a pooler that
   * does not keep sessions (PgBouncer in transaction mode): watches then poll.
   */
  listen?: boolean;
  /** How often a watch reads the lease when `listen` is off (default 100 ms). */
  pollMs?: number;
  /** More options for the node-postgres pool (TLS, password, application_name). */
  client?: PoolConfig;
}

type PgModule = {
  Pool: new (config: PoolConfig) => Pool;
  Client: new (config: ClientConfig) => Client;
};

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;
/** PostgreSQL cuts identifiers and channel names at 63 bytes. */
const MAX_NAME = 63;
const FENCING_SUFFIX = '_fencing';
/** A watch with LISTEN reads at least this often when the election gives no `checkMs`. */
const LISTEN_CHECK_MS = 1000;

/** Checks a schema or table name; throws a RangeError naming what is wrong. */
export function checkIdentifier(what: string, name: string, room = MAX_NAME): string {
  if (!IDENTIFIER.test(name) || name.length > room) {
    throw new RangeError(
      `postgres ${what} must be 1-${room} lowercase letters, digits or _ (not starting with a digit), got '${name}'`,
    );
  }
  return name;
}

/** Who holds a row under which handle, and how long its lease still runs by the server's clock. */
interface LeaseRow {
  holder: KvHolder;
  owner: string;
  remainingMs: number;
}

/**
 * PostgreSQL through the npm package `pg` (node-postgres), loaded when first needed.
 *
 * One row per election name in the lease table holds the holder, its owner handle, its
 * fencing token and the lease's expiry; a second table keeps each name's last token and is
 * never deleted from, so tokens only grow, across releases, restarts and rows removed by
 * hand. Taking a free or expired lease is one statement that locks the row, raises the
 * counter and writes the row; every expiry is set and compared on the server's clock
 * (`clock_timestamp()`), never the client's. A new holder or a release sends NOTIFY; a
 * watch LISTENs on its own connection, reads again when the current lease would run out,
 * and polls as the fallback for notifications a reconnect loses.
 */
export class PostgresStore implements KvStore, KvGroupCapable {
  readonly kind = 'postgres';
  private pool: Promise<Pool> | undefined;
  private tablesReady: Promise<void> | undefined;
  private readonly listeners = new Set<Client>();
  private readonly timeoutMs: number;
  private readonly schema: string;
  private readonly table: string;
  /** Quoted: the lease table, the counter table. */
  private readonly leases: string;
  private readonly counters: string;
  /** The NOTIFY channel: `<schema>.<table>`; the payload names the election (see `Note`). */
  private readonly channel: string;

  constructor(private readonly options: PostgresStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
    if (!Number.isFinite(this.timeoutMs) || this.timeoutMs <= 0) {
      throw new RangeError(`timeoutMs must be positive, got ${this.timeoutMs}`);
    }
    this.schema = checkIdentifier('schema', options.schema ?? 'public');
    this.table = checkIdentifier(
      'table',
      options.table ?? 'electorate_lease',
      MAX_NAME - FENCING_SUFFIX.length,
    );
    this.channel = `${this.schema}.${this.table}`;
    if (this.channel.length > MAX_NAME) {
      throw new RangeError(
        `postgres schema and table together must fit ${MAX_NAME - 1} characters (the NOTIFY channel '${this.channel}' is too long)`,
      );
    }
    this.leases = `"${this.schema}"."${this.table}"`;
    this.counters = `"${this.schema}"."${this.table}${FENCING_SUFFIX}"`;
  }

  async connect(): Promise<void> {
    await this.ensureTables(await this.connection());
  }

  async acquire({ key, value, ttlMs, owner }: AcquireRequest): Promise<AcquireResult> {
    const pool = await this.ready();
    const mine = owner ?? randomBytes(12).toString('hex');
    const res = await pool.query<{
      won: string | null;
      holder: string | null;
      token: string | null;
      live: boolean | null;
    }>(this.acquireSql, [key, value, mine, Math.ceil(ttlMs), this.channel]);
    const row = res.rows[0];
    if (row === undefined) throw new Error('postgres acquire returned no row');
    if (row.won !== null) return { acquired: true, owner: mine, token: tokenOf(row.won) };
    const holder =
      row.live === true && row.holder !== null && row.token !== null
        ? { value: row.holder, token: tokenOf(row.token) }
        : null;
    return { acquired: false, holder };
  }

  async renew({ key, owner, ttlMs }: { key: string; owner: string; ttlMs: number }) {
    const pool = await this.ready();
    const res = await pool.query(
      `UPDATE ${this.leases}
          SET expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'
        WHERE name = $1::text AND owner = $2::text AND expires_at > clock_timestamp()`,
      [key, owner, Math.ceil(ttlMs)],
    );
    return res.rowCount === 1;
  }

  async release({ key, owner }: { key: string; owner: string }): Promise<void> {
    const pool = await this.ready();
    await pool.query(
      `WITH gone AS (DELETE FROM ${this.leases} WHERE name = $1::text AND owner = $2::text RETURNING name)
       SELECT pg_notify($3::text, json_build_object('name', name, 'holder', null)::text) FROM gone`,
      [key, owner, this.channel],
    );
  }

  async read(key: string): Promise<KvHolder | null> {
    return (await this.readLease(key))?.holder ?? null;
  }

  async inspect(key: string): Promise<KvHeld | null> {
    const lease = await this.readLease(key);
    return lease === null ? null : { holder: lease.holder, owner: lease.owner };
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, options: WatchOptions = {}) {
    const listen = this.options.listen !== false;
    const every = listen ? (options.checkMs ?? LISTEN_CHECK_MS) : (this.options.pollMs ?? 100);
    // Reads run one at a time, so an older answer can never arrive after a newer one; a
    // reason to read that comes while one is under way runs one more read after it.
    let expiresIn = Number.POSITIVE_INFINITY;
    let reading = false;
    let again = false;
    let timer: NodeJS.Timeout | undefined;
    // Nobody sends a notification when a lease runs out: read again the moment it would.
    const schedule = () => {
      clearTimeout(timer);
      if (!feed.active || reading) return;
      timer = setTimeout(() => void check(), Math.max(1, Math.min(every, expiresIn + 1)));
      timer.unref();
    };
    const feed = new WatchFeed(
      listener,
      async () => {
        const lease = await this.readLease(key);
        expiresIn = lease?.remainingMs ?? Number.POSITIVE_INFINITY;
        return lease?.holder ?? null;
      },
      this.timeoutMs,
    );
    const check = async (): Promise<void> => {
      if (reading) {
        again = true;
        return;
      }
      reading = true;
      clearTimeout(timer);
      do {
        again = false;
        await feed.check();
      } while (again && feed.active);
      reading = false;
      schedule();
    };
    feed.onEnd(() => clearTimeout(timer));
    (async () => {
      if (listen) {
        const client = await this.listener();
        feed.onEnd(() => this.dropListener(client));
        // A notification sent while this session was down is gone: a broken session ends
        // the watch, and the election's next watch starts with a fresh read.
        client.on('error', (err) => feed.fail(err));
        client.on('end', () => feed.fail(new Error('postgres notification connection closed')));
        client.on('notification', (n) => {
          if (n.channel !== this.channel) return;
          const note = parseNote(n.payload);
          if (note !== undefined && note.name !== key) return;
          if (note?.holder === undefined) {
            // Not a note this store sent, or one too long to carry the holder: read.
            void check();
            return;
          }
          // Notes arrive in commit order on this one session: the newest state, no read.
          feed.push(note.holder);
          expiresIn = note.ttlMs ?? Number.POSITIVE_INFINITY;
          schedule();
        });
        await withTimeout(client.connect(), this.timeoutMs, 'postgres connect');
        await withTimeout(client.query(`LISTEN "${this.channel}"`), this.timeoutMs, 'LISTEN');
      }
      await check();
    })().catch((err) => feed.fail(err));
    return () => feed.end();
  }

  /** The side an election group uses: one UPDATE renews every row it holds. */
  group(): KvGroupStore {
    return new PostgresGroup({
      store: this,
      ready: () => this.ready(),
      listener: () => this.listener(),
      dropListener: (client) => this.dropListener(client),
      leases: this.leases,
      channel: this.channel,
      parseNote,
      tokenOf,
      timeoutMs: this.timeoutMs,
    });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    this.tablesReady = undefined;
    for (const client of [...this.listeners]) this.dropListener(client);
    if (pool !== undefined) await (await pool.catch(() => undefined))?.end();
  }

  /** The tables, created if missing: what an operator may also create by hand. */
  get schemaSql(): string {
    return [
      `CREATE TABLE IF NOT EXISTS ${this.leases} (
  name       text PRIMARY KEY,
  holder     text NOT NULL,
  owner      text NOT NULL,
  token      bigint NOT NULL,
  expires_at timestamptz NOT NULL
)`,
      `CREATE TABLE IF NOT EXISTS ${this.counters} (
  name  text PRIMARY KEY,
  token bigint NOT NULL
)`,
    ].join(';\n');
  }

  /**
   * One statement, so taking a lease is atomic: `cur` locks the row (a waiting acquire sees
   * the row as the one before it left it); `bump` raises the name's counter only when no
   * live lease is there; `won` writes the row if the lease is free, expired or already this
   * owner's, keeping the token when the owner merely renews through acquire.
   */
  private get acquireSql(): string {
    const takes = 'EXISTS (SELECT 1 FROM bump)';
    return `
WITH cur AS (
  SELECT owner, holder, token, expires_at > clock_timestamp() AS live
    FROM ${this.leases} WHERE name = $1::text FOR UPDATE
), bump AS (
  INSERT INTO ${this.counters} AS f (name, token)
  SELECT $1::text, 1 WHERE NOT EXISTS (SELECT 1 FROM cur WHERE live)
  ON CONFLICT (name) DO UPDATE SET token = f.token + 1
  RETURNING token
), won AS (
  INSERT INTO ${this.leases} AS l (name, holder, owner, token, expires_at)
  SELECT $1::text, $2::text, $3::text, coalesce((SELECT token FROM bump), 0),
         clock_timestamp() + $4::bigint * interval '1 millisecond'
   WHERE ${takes} OR EXISTS (SELECT 1 FROM cur WHERE owner = $3::text)
  ON CONFLICT (name) DO UPDATE
     SET holder = excluded.holder, owner = excluded.owner, expires_at = excluded.expires_at,
         token = CASE WHEN ${takes} THEN excluded.token ELSE l.token END
   WHERE l.owner = excluded.owner OR (${takes} AND l.expires_at <= clock_timestamp())
  RETURNING l.token, ${takes} AS fresh
), note AS (
  SELECT pg_notify($5::text, CASE
           WHEN octet_length(full_note) < ${MAX_NOTE_BYTES} THEN full_note
           ELSE json_build_object('name', $1::text)::text END)
    FROM (SELECT json_build_object('name', $1::text, 'holder',
                   json_build_object('value', $2::text, 'token', token), 'ttlMs', $4::bigint)::text
                 AS full_note
            FROM won WHERE fresh) AS notes
)
SELECT (SELECT token FROM won) AS won, (SELECT count(*) FROM note) AS notified,
       cur.holder, cur.token, cur.live
  FROM (SELECT 1) AS one LEFT JOIN cur ON true`;
  }

  private async readLease(key: string): Promise<LeaseRow | null> {
    const pool = await this.ready();
    const res = await pool.query<{
      holder: string;
      owner: string;
      token: string;
      remaining_ms: number;
    }>(
      `SELECT holder, owner, token,
              (extract(epoch FROM expires_at - clock_timestamp()) * 1000)::float8 AS remaining_ms
         FROM ${this.leases} WHERE name = $1::text AND expires_at > clock_timestamp()`,
      [key],
    );
    const row = res.rows[0];
    if (row === undefined) return null;
    return {
      holder: { value: row.holder, token: tokenOf(row.token) },
      owner: row.owner,
      remainingMs: row.remaining_ms,
    };
  }

  private async module(): Promise<PgModule> {
    const mod = await loadClient<PgModule & { default?: PgModule }>('pg', 'postgres');
    return mod.default ?? mod;
  }

  private clientConfig(): ClientConfig {
    return {
      connectionString: this.options.url,
      connectionTimeoutMillis: this.timeoutMs,
      query_timeout: this.timeoutMs,
      // The server gives up on a statement (a lock wait) when the client would.
      statement_timeout: this.timeoutMs,
      keepAlive: true,
      application_name: 'electorate',
      ...this.options.client,
    };
  }

  private connection(): Promise<Pool> {
    this.pool ??= this.module().then((mod) => {
      const pool = new mod.Pool({ max: 3, idleTimeoutMillis: 30_000, ...this.clientConfig() });
      // A server restart breaks idle connections: the pool drops them, and the next
      // request opens a new one. Without a listener the pool's error would be thrown.
      pool.on('error', () => undefined);
      return pool;
    });
    return this.pool;
  }

  /** The pool once the tables exist. */
  private async ready(): Promise<Pool> {
    const pool = await this.connection();
    await this.ensureTables(pool);
    return pool;
  }

  private ensureTables(pool: Pool): Promise<void> {
    this.tablesReady ??= (async () => {
      const exists = await pool.query<{ ready: boolean }>(
        'SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL AS ready',
        [this.leases, this.counters],
      );
      if (exists.rows[0]?.ready === true) return;
      // Candidates starting together would race on CREATE TABLE IF NOT EXISTS (it can fail
      // with a unique violation); a transaction-scoped advisory lock lets one create them.
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [this.channel]);
        if (this.schema !== 'public') {
          await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        }
        await client.query(this.schemaSql);
        await client.query('COMMIT');
        client.release();
      } catch (err) {
        client.release(err as Error);
        throw err;
      }
    })().catch((err) => {
      this.tablesReady = undefined;
      throw err;
    });
    return this.tablesReady;
  }

  private async listener(): Promise<Client> {
    const mod = await this.module();
    const client = new mod.Client(this.clientConfig());
    this.listeners.add(client);
    return client;
  }

  private dropListener(client: Client): void {
    if (!this.listeners.delete(client)) return;
    client.end().catch(() => undefined);
  }
}

/** NOTIFY payloads are limited to 8000 bytes; a note that would not fit names only the election. */
const MAX_NOTE_BYTES = 7900;

/**
 * A NOTIFY payload: the election's name and, when it fits, its holder now (null: released)
 * and the new lease's length. Anything else on the channel is refused here.
 */
interface Note {
  name: string;
  holder?: KvHolder | null;
  ttlMs?: number;
}

function parseNote(payload: string | undefined): Note | undefined {
  let raw: unknown;
  try {
    raw = JSON.parse(payload ?? '');
  } catch {
    return undefined;
  }
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { name, holder, ttlMs } = raw as Record<string, unknown>;
  if (typeof name !== 'string') return undefined;
  if (holder === undefined) return { name };
  if (holder === null) return { name, holder: null };
  const { value, token } = holder as Record<string, unknown>;
  if (
    typeof holder !== 'object' ||
    typeof value !== 'string' ||
    typeof token !== 'number' ||
    !Number.isSafeInteger(token) ||
    token <= 0 ||
    typeof ttlMs !== 'number' ||
    !(ttlMs > 0)
  ) {
    return { name };
  }
  return { name, holder: { value, token }, ttlMs };
}

function tokenOf(text: string): number {
  const token = Number(text);
  if (!Number.isSafeInteger(token) || token <= 0) {
    throw new Error(`postgres fencing token ${text} is not a positive safe integer`);
  }
  return token;
}

/** PostgreSQL as the election's store (npm package `pg`). */
export function postgresStore(options: PostgresStoreOptions): PostgresStore {
  return new PostgresStore(options);
}
