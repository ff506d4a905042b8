import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  type CliProcess,
  ensureBuilt,
  killSpawned,
  kvMemberArgs,
  startCli,
} from './cli-process.js';
import { describeWithServer, type StoreKind, StoreServer } from './store-servers.js';
import { waitFor } from './wait-for.js';

/**
 * Candidates as separate `electorate node --protocol kv` processes: a leader killed with
 * SIGKILL never releases its key, so the others must wait out its lease and no longer.
 */
interface Line {
  time: number;
  id: string;
  isLeader: boolean;
  leader: string | null;
}

function lines(proc: CliProcess): Line[] {
  return proc.lines().flatMap((l) => {
    try {
      const j = JSON.parse(l) as {
        time: string;
        id: string;
        isLeader: boolean;
        leader: string | null;
      };
      return [{ time: Date.parse(j.time), id: j.id, isLeader: j.isLeader, leader: j.leader }];
    } catch {
      return [];
    }
  });
}

const leads = (proc: CliProcess) => lines(proc).at(-1)?.isLeader === true;

/** Fails if two processes claimed leadership over overlapping wall-clock intervals. */
function checkNoOverlap(procs: CliProcess[], ends: Map<CliProcess, number>): void {
  const intervals: { id: string; from: number; to: number }[] = [];
  for (const p of procs) {
    let from: number | undefined;
    let id = '';
    for (const l of lines(p)) {
      id = l.id;
      if (l.isLeader && from === undefined) from = l.time;
      if (!l.isLeader && from !== undefined) {
        intervals.push({ id, from, to: l.time });
        from = undefined;
      }
    }
    if (from !== undefined) intervals.push({ id, from, to: ends.get(p) ?? Date.now() });
  }
  intervals.sort((a, b) => a.from - b.from);
  for (let i = 1; i < intervals.length; i++) {
    const a = intervals[i - 1]!;
    const b = intervals[i]!;
    if (b.from < a.to)
      throw new Error(`${a.id} and ${b.id} led at once: ${JSON.stringify([a, b])}`);
  }
}

/** Waits until `p` names `leader`; on failure, shows what every process printed. */
async function agree(procs: CliProcess[], p: CliProcess, leader: string): Promise<void> {
  await waitFor(() => lines(p).at(-1)?.leader === leader, 5000, `agreement on ${leader}`).catch(
    (err: Error) => {
      throw new Error(`${err.message}\n${procs.map((q) => q.stdout + q.stderr).join('\n')}`);
    },
  );
}

const CASES: { kind: StoreKind; ttlMs: number }[] = [
  { kind: 'etcd', ttlMs: 2000 },
  { kind: 'redis', ttlMs: 1500 },
  { kind: 'zookeeper', ttlMs: 2000 },
  { kind: 'postgres', ttlMs: 1500 },
];

for (const { kind, ttlMs } of CASES) {
  describeWithServer(kind, `KV candidates as processes on ${kind}`, () => {
    let server: StoreServer;
    let n = 0;
    beforeAll(async () => {
      ensureBuilt();
      server = await StoreServer.start(kind);
    }, 180_000);
    afterAll(async () => {
      await server?.dispose();
    });
    afterEach(killSpawned);

    const spawnAll = (key: string) =>
      ['a', 'b', 'c'].map((id) =>
        startCli([...kvMemberArgs(id, server.url, key), '--ttl', `${ttlMs}ms`, '--log', 'json']),
      );

    it('a killed leader is replaced within its TTL and a margin, and never two lead at once', async () => {
      const procs = spawnAll(`proc/${kind}-${++n}`);
      await waitFor(() => procs.filter(leads).length === 1, 20_000, 'one leader');
      const leader = procs.find(leads)!;
      const killedAt = Date.now();
      process.kill(leader.pid, 'SIGKILL');
      await leader.done;
      const others = procs.filter((p) => p !== leader);
      await waitFor(() => others.some(leads), ttlMs + 5000, 'a new leader');
      const next = others.find(leads)!;
      const tookOver = lines(next).find((l) => l.isLeader)!.time;
      // The key outlives its holder by the TTL (etcd: whole seconds, expired on a 500 ms
      // sweep); the watchers campaign the moment it goes.
      expect(tookOver - killedAt).toBeLessThan(ttlMs + 1500);
      checkNoOverlap(procs, new Map([[leader, killedAt]]));
      for (const p of others) {
        await agree(procs, p, lines(next).at(-1)!.id);
      }
    });

    it('a leader stopped with SIGTERM releases the key, and another takes over at once', async () => {
      const procs = spawnAll(`proc/${kind}-${++n}`);
      await waitFor(() => procs.filter(leads).length === 1, 20_000, 'one leader');
      const leader = procs.find(leads)!;
      const others = procs.filter((p) => p !== leader);
      for (const p of others) {
        await agree(procs, p, lines(leader).at(-1)!.id);
      }
      process.kill(leader.pid, 'SIGTERM');
      await leader.done;
      expect(leader.code).toBe(0);
      const stoppedAt = Date.now();
      await waitFor(() => others.some(leads), ttlMs, 'a new leader before the TTL ran out');
      expect(Date.now() - stoppedAt).toBeLessThan(ttlMs);
      checkNoOverlap(procs, new Map());
    });
  });
}
