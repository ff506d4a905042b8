// Crash failover: three candidate processes, the leader SIGKILLed (or, with `freeze`,
// SIGSTOPped: a hung or cut-off host whose connections stay open), time until another
// reports itself elected (wall clock, shared by the processes).
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const CANDIDATE = fileURLToPath(new URL('./kv-candidate.mjs', import.meta.url));

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

export async function crashFailover(kind, hostPort, ttlMs, runs, { freeze = false } = {}) {
  const key = `bench/${kind}-failover-${process.pid}-${Date.now()}`;
  const leaders = []; // { id, at }
  const onLine = (l) => {
    if (l.elected) leaders.push({ id: l.id, at: l.at });
  };
  const procs = new Map();
  const start = (id) => procs.set(id, spawnCandidate(kind, hostPort, key, id, ttlMs, onLine));
  for (const id of ['a', 'b', 'c']) start(id);
  const times = [];
  let timeouts = 0;
  const wait = async (predicate, ms) => {
    const deadline = Date.now() + ms;
    while (!predicate()) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 5));
    }
    return true;
  };
  try {
    if (!(await wait(() => leaders.length > 0, 20_000))) throw new Error(`${kind}: no leader`);
    for (let run = 0; run < runs; run++) {
      const current = leaders.at(-1);
      // Let every survivor settle into waiting on the key, then kill at a random point of
      // the leader's renewal cycle: how long its key outlives it depends on that point.
      await new Promise((r) => setTimeout(r, 300 + Math.random() * ttlMs));
      const seen = leaders.length;
      const victim = procs.get(current.id);
      const killedAt = Date.now();
      if (process.env.KV_TRACE === '1')
        console.error(JSON.stringify({ killed: current.id, at: killedAt }));
      victim.child.kill(freeze ? 'SIGSTOP' : 'SIGKILL');
      if (!freeze) await victim.exited;
      const ok = await wait(
        () => leaders.slice(seen).some((l) => l.id !== current.id),
        3 * ttlMs + 5000,
      );
      if (ok) times.push(leaders.slice(seen).find((l) => l.id !== current.id).at - killedAt);
      else timeouts++;
      if (freeze) {
        victim.child.kill('SIGKILL');
        await victim.exited;
        // A leader that never handed over is gone now: wait for the one that follows it.
        if (!ok) await wait(() => leaders.slice(seen).some((l) => l.id !== current.id), 20_000);
      }
      start(current.id);
    }
  } finally {
    for (const p of procs.values()) {
      if (p.child.exitCode === null) p.child.kill('SIGKILL');
      await p.exited;
    }
  }
  return { times, timeouts };
}
