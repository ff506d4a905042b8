import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RaftGroupElectionStatus } from '../../src/index.js';
import {
  type CliProcess,
  ensureBuilt,
  killSpawned,
  raftMemberArgs,
  runCli,
  startCli,
} from './cli-process.js';
import { freePorts } from './free-port.js';
import { agreedLeaders } from './raft-group-cluster.js';
import { waitFor } from './wait-for.js';

interface GroupDiag {
  id: string;
  role: string;
  elections: RaftGroupElectionStatus[];
  link: { ticks: number; peers: Array<{ id: string; framesSent: number }> };
}

const IDS = ['n1', 'n2', 'n3'];
const SHARDS = 20;
// The single election's /diag fields, which a group's keeps, in their order.
const DIAG_KEYS = ['id', 'protocol', 'role', 'leader', 'term', 'members', 'startedAt'];

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => killSpawned());

async function diag(port: number): Promise<GroupDiag | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/diag`);
    return response.ok ? ((await response.json()) as GroupDiag) : undefined;
  } catch {
    return undefined;
  }
}

/** Every election's agreed leader across the processes' /diag, once they all agree. */
async function waitForGroupLeaders(httpPorts: number[], description: string) {
  let leaders: Map<string, string> | undefined;
  await waitFor(
    async () => {
      const docs = await Promise.all(httpPorts.map(diag));
      if (docs.some((d) => d === undefined)) return false;
      leaders = agreedLeaders(docs as GroupDiag[]);
      return leaders !== undefined;
    },
    15_000,
    description,
    50,
  );
  return leaders!;
}

describe('electorate node --shards', () => {
  it('runs every shard in three processes; a killed member’s shards get new leaders', async () => {
    const ports = await freePorts(IDS.length * 2);
    const httpPorts = IDS.map((_, i) => ports[IDS.length + i]!);
    const procs: CliProcess[] = IDS.map((_, i) =>
      startCli([...raftMemberArgs(IDS, i, ports, httpPorts[i]), '--shards', String(SHARDS)]),
    );
    // Three fresh Node processes must load before any of them can vote.
    const first = await waitForGroupLeaders(httpPorts, 'every shard to agree on a leader');
    expect([...first.keys()]).toEqual(Array.from({ length: SHARDS }, (_, i) => `shard-${i}`));

    const doc = (await diag(httpPorts[0]!))! as unknown as Record<string, unknown>;
    expect(Object.keys(doc).slice(0, DIAG_KEYS.length)).toEqual(DIAG_KEYS);
    expect((doc as unknown as GroupDiag).elections).toHaveLength(SHARDS);
    expect((doc as unknown as GroupDiag).link.peers.map((p) => p.id)).toEqual(['n2', 'n3']);
    for (const proc of procs) {
      expect(proc.lines().some((l) => / n\d\/shard-\d+ leader=n\d term=\d+ role=/.test(l))).toBe(
        true,
      );
    }

    const counts = IDS.map((id) => [...first.values()].filter((l) => l === id).length);
    const victim = counts.indexOf(Math.max(...counts));
    process.kill(procs[victim]!.pid, 'SIGKILL');
    await procs[victim]!.done;
    const survivors = httpPorts.filter((_, i) => i !== victim);
    const next = await waitForGroupLeaders(survivors, 'the survivors to lead every shard');
    for (const [name, leader] of first) {
      if (leader === IDS[victim]) expect(next.get(name), name).not.toBe(IDS[victim]);
      else expect(next.get(name), name).toBe(leader);
    }
    for (const [i, proc] of procs.entries()) if (i !== victim) expect(proc.stderr).toBe('');
  });

  it.each([
    [['--shards', '0'], '--shards must be between 1 and 10000, got'],
    [['--shards', '3', '--elections', 'a'], '--elections and --shards cannot both be given'],
    [['--elections', 'a,a'], '--elections: election a is named twice'],
    [['--elections', '../up'], '--elections: election name "../up" must be'],
    [['--spread'], '--spread applies only with --elections or --shards'],
  ])('refuses %j with one line and exit code 2', async (extra, message) => {
    const proc = await runCli([...raftMemberArgs(['n1', 'n2'], 0, [1, 2]), ...extra]);
    expect(proc.code).toBe(2);
    expect(proc.stderr.trim().split('\n')).toHaveLength(1);
    expect(proc.stderr).toContain(message);
  });
});
