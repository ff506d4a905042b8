import type { Client, Pool } from 'pg';
import type { GroupKeepAlive } from './group-types.js';
import { SubscribedGroup } from './subscribed-group.js';
import type { KvHolder, KvStore } from './types.js';
import { withTimeout } from './types.js';

/** What the PostgreSQL store lends its group side. */
export interface PostgresGroupParts {
  store: KvStore;
  /** The pool once the tables exist. */
  ready(): Promise<Pool>;
  /** A new connection of its own for LISTEN, and how to end it. */
  listener(): Promise<Client>;
  dropListener(client: Client): void;
  /** The quoted lease table and the NOTIFY channel. */
  leases: string;
  channel: string;
  parseNote(payload: string | undefined): { name: string; holder?: KvHolder | null } | undefined;
  tokenOf(text: string): number;
  timeoutMs: number;
}

/**
 * PostgreSQL's side of an election group: rows keep their own expiry, all under one owner
 * handle; one UPDATE per keep-alive extends every row the group holds and returns the ones
 * it still holds. One LISTEN connection follows every election, and one SELECT is the
 * group read.
 */
export class PostgresGroup extends SubscribedGroup {
  readonly kind = 'postgres';

  constructor(private readonly parts: PostgresGroupParts) {
    super(parts.store, parts.timeoutMs);
  }

  async keepAlive(lease: string, ttlMs: number, keys: readonly string[]): Promise<GroupKeepAlive> {
    // No row, nothing at the store to keep: the handle lives only here.
    if (keys.length === 0) return { alive: true, lost: [] };
    const pool = await this.parts.ready();
    const res = await pool.query<{ name: string }>(
      `UPDATE ${this.parts.leases}
          SET expires_at = clock_timestamp() + $3::bigint * interval '1 millisecond'
        WHERE owner = $1::text AND name = ANY($2::text[]) AND expires_at > clock_timestamp()
        RETURNING name`,
      [lease, keys, Math.ceil(ttlMs)],
    );
    const kept = new Set(res.rows.map((r) => r.name));
    return { alive: true, lost: keys.filter((key) => !kept.has(key)) };
  }

  async revoke(lease: string): Promise<void> {
    const pool = await this.parts.ready();
    await pool.query(
      `WITH gone AS (DELETE FROM ${this.parts.leases} WHERE owner = $1::text RETURNING name)
       SELECT pg_notify($2::text, json_build_object('name', name, 'holder', null)::text) FROM gone`,
      [lease, this.parts.channel],
    );
  }

  async readAll(keys: readonly string[]): Promise<Map<string, KvHolder>> {
    const pool = await this.parts.ready();
    const res = await pool.query<{ name: string; holder: string; token: string }>(
      `SELECT name, holder, token FROM ${this.parts.leases}
        WHERE name = ANY($1::text[]) AND expires_at > clock_timestamp()`,
      [keys],
    );
    return new Map(
      res.rows.map((r) => [r.name, { value: r.holder, token: this.parts.tokenOf(r.token) }]),
    );
  }

  protected async subscribe(
    deliver: (key: string, holder?: KvHolder | null) => void,
    fail: (err: unknown) => void,
  ): Promise<() => void> {
    const client = await this.parts.listener();
    const stop = () => this.parts.dropListener(client);
    client.on('error', (err) => fail(err));
    client.on('end', () => fail(new Error('postgres notification connection closed')));
    client.on('notification', (n) => {
      if (n.channel !== this.parts.channel) return;
      const note = this.parts.parseNote(n.payload);
      if (note !== undefined) deliver(note.name, note.holder);
    });
    try {
      await withTimeout(client.connect(), this.parts.timeoutMs, 'postgres connect');
      await withTimeout(
        client.query(`LISTEN "${this.parts.channel}"`),
        this.parts.timeoutMs,
        'LISTEN',
      );
    } catch (err) {
      stop();
      throw err;
    }
    return stop;
  }
}
