// The recipe Node services write by hand for "one instance runs this" on PostgreSQL: a
// session-level advisory lock, tried every POLL_MS until it is granted. The lock lasts as
// long as the session: it moves on only when the server notices the holder's session end.
import pg from 'pg';

export const ADVISORY_POLL_MS = 100;

/** Calls `onChange(true)` when this session gets the lock; `resign()` unlocks and polls again. */
export function advisoryCandidate(url, key, onChange) {
  let client;
  let timer;
  let stopped = false;
  const drop = () => {
    const c = client;
    client = undefined;
    c?.end().catch(() => {});
  };
  const poll = () => {
    if (!stopped) timer = setTimeout(attempt, ADVISORY_POLL_MS);
  };
  const attempt = async () => {
    try {
      if (client === undefined) {
        client = new pg.Client({ connectionString: url });
        client.on('error', drop);
        await client.connect();
      }
      const { rows } = await client.query('SELECT pg_try_advisory_lock(hashtext($1)) AS ok', [key]);
      if (rows[0].ok) {
        onChange(true);
        return;
      }
    } catch {
      drop();
    }
    poll();
  };
  void attempt();
  return {
    async resign() {
      await client.query('SELECT pg_advisory_unlock(hashtext($1))', [key]);
      onChange(false);
      // Stands back for a round, so the other session's next try gets the lock.
      if (!stopped) timer = setTimeout(attempt, 2 * ADVISORY_POLL_MS);
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      drop();
    },
  };
}

/** Milliseconds from the holder's unlock to the other session's lock, in this process. */
export async function advisoryHandover(url, runs) {
  const key = `bench/advisory-${process.pid}-${Date.now()}`;
  const electedAt = new Map();
  const leading = new Set();
  const cs = ['a', 'b'].map((id) => {
    const c = advisoryCandidate(url, key, (elected) => {
      if (elected) {
        leading.add(id);
        electedAt.set(id, performance.now());
      } else leading.delete(id);
    });
    return { id, c };
  });
  const until = async (predicate, what) => {
    const deadline = performance.now() + 10_000;
    while (!predicate()) {
      if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 2));
    }
  };
  const times = [];
  try {
    for (let run = -1; run < runs; run++) {
      await until(() => leading.size === 1, 'a lock holder');
      const leader = cs.find((x) => leading.has(x.id));
      const other = cs.find((x) => x !== leader);
      electedAt.delete(other.id);
      // At a random point of the other session's polling cycle, not in step with it.
      await new Promise((r) => setTimeout(r, Math.random() * ADVISORY_POLL_MS));
      const t0 = performance.now();
      await leader.c.resign();
      await until(() => electedAt.has(other.id), 'the handover');
      if (run >= 0) times.push(electedAt.get(other.id) - t0);
    }
  } finally {
    await Promise.all(cs.map((x) => x.c.stop()));
  }
  return times;
}
