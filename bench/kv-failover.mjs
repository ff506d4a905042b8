// Crash failover: three candidate processes, the leader SIGKILLed (or, with `freeze`,
// SIGSTOPped: a hung or cut-off host whose connections stay open), time until another
// reports itself elected (wall clock, shared by the processes).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CANDIDATE = fileURLToPath(new URL('./kv-candidate.mjs', import.meta.url));

/** Wall-clock milliseconds with a fraction: comparable across this machine's processes. */
export const wallClock = () => performance.timeOrigin + performance.now();

const sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

const wait = async (predicate, ms) => {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) return false;
    await sleep(5);
  }
  return true;
};

function spawnCandidate(kind, hostPort, key, id, ttlMs, onLine) {
  const child = spawn(process.execPath, [CANDIDATE, kind, hostPort, key, id, String(ttlMs)], {
    stdio: ['ignore', 'pipe', process.env.KV_TRACE === '1' ? 'inherit' : 'ignore'],
  });
  createInterface({ input: child.stdout }).on('line', (line) => {
    try {
      onLine(JSON.parse(line));
    } catch {}
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  return { id, child, exited };
}

/**
 * Three candidates of `kind` on a fresh key; each one killed is started again. The
 * candidates report when they are elected and when they send a renewal (keep-alive).
 */
export async function startCluster(kind, hostPort, ttlMs) {
  const key = `bench/${kind}-failover-${process.pid}-${Date.now()}`;
  const leaders = []; // { id, at }
  const renewals = []; // { id, at }
  const onLine = (l) => {
    if (l.elected) leaders.push({ id: l.id, at: l.at });
    if (l.renewed) renewals.push({ id: l.id, at: l.at });
  };
  const procs = new Map();
  const start = (id) => procs.set(id, spawnCandidate(kind, hostPort, key, id, ttlMs, onLine));
  const stop = async () => {
    for (const p of procs.values()) {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
  };
  for (const id of ['a', 'b', 'c']) start(id);
  if (!(await wait(() => leaders.length > 0, 20_000))) {
    await stop();
    throw new Error(`${kind}: no leader`);
  }
  /** The last renewal `id` sent before `at`. */
  const renewedBefore = (id, at) => renewals.findLast((r) => r.id === id && r.at <= at);
  return {
    kind,
    key,
    leader: () => leaders.at(-1).id,
    /** Resolves at `offsetMs` after the leader's next renewal leaves. */
    async afterRenewal(offsetMs) {
      const id = leaders.at(-1).id;
      const seen = renewals.length;
      if (!(await wait(() => renewals.slice(seen).some((r) => r.id === id), 3 * ttlMs))) {
        throw new Error(`${kind}: leader ${id} sent no renewal`);
      }
      await sleep(renewals.slice(seen).find((r) => r.id === id).at + offsetMs - wallClock());
    },
    /**
     * Kills the leader now, waits for another to be elected and starts the victim again.
     * Returns the victim, when it was killed, its last renewal before that and when the
     * next leader was elected (undefined if none was within the cap).
     */
    async kill({ freeze = false } = {}) {
      const seen = leaders.length;
      const id = leaders.at(-1).id;
      const victim = procs.get(id);
      const killedAt = wallClock();
      if (process.env.KV_TRACE === '1') console.error(JSON.stringify({ killed: id, at: killedAt }));
      victim.child.kill(freeze ? 'SIGSTOP' : 'SIGKILL');
      if (!freeze) await victim.exited;
      const next = () => leaders.slice(seen).find((l) => l.id !== id);
      const ok = await wait(() => next() !== undefined, 3 * ttlMs + 5000);
      const electedAt = next()?.at;
      if (freeze) {
        victim.child.kill('SIGKILL');
        await victim.exited;
        // A leader that never handed over is gone now: wait for the one that follows it.
        if (!ok) await wait(() => next() !== undefined, 20_000);
      }
      start(id);
      return { victim: id, killedAt, renewedAt: renewedBefore(id, killedAt)?.at, electedAt };
    },
    stop,
  };
}

export async function crashFailover(kind, hostPort, ttlMs, runs, { freeze = false } = {}) {
  const cluster = await startCluster(kind, hostPort, ttlMs);
  const times = [];
  let timeouts = 0;
  try {
    for (let run = 0; run < runs; run++) {
      // Let every survivor settle into waiting on the key, then kill at a random point of
      // the leader's renewal cycle: how long its key outlives it depends on that point.
      await sleep(300 + Math.random() * ttlMs);
      const { killedAt, electedAt } = await cluster.kill({ freeze });
      if (electedAt === undefined) timeouts++;
      else times.push(electedAt - killedAt);
    }
  } finally {
    await cluster.stop();
  }
  return { times, timeouts };
}
