import { randomInt } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { electLeaders } from '../../src/entropy/index.js';
import { type CliProcess, ensureBuilt, killSpawned, runCli, startCli } from './cli-process.js';
import { freePorts } from './free-port.js';
import { waitFor } from './wait-for.js';

interface Diag {
  id: string;
  protocol: string;
  role: string;
  leader: string | null;
  term: number | null;
  members: Array<{ id: string; self: boolean; voter: boolean }>;
  startedAt: string;
  isLeader: boolean;
  leaderAddress?: string;
  leaderPid?: string;
}

interface ClusterNode {
  id: string;
  listenPort: number;
  httpPort: number;
  proc: CliProcess;
}

const CONTRACT_KEYS = ['id', 'protocol', 'role', 'leader', 'term', 'members', 'startedAt'];
const TEXT_LINE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z n\d leader=(n\d|-) term=\d+ role=\w+/;

async function diag(port: number): Promise<Diag | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/diag`);
    return response.ok ? ((await response.json()) as Diag) : undefined;
  } catch {
    return undefined;
  }
}

/** The leader every node's /diag names, if they all name the same one and it holds its lease. */
async function agreedLeader(nodes: ClusterNode[]): Promise<string | undefined> {
  const docs = await Promise.all(nodes.map((n) => diag(n.httpPort)));
  const leader = docs[0]?.leader;
  if (leader === null || leader === undefined) return undefined;
  if (!docs.every((d) => d?.leader === leader)) return undefined;
  const holder = docs.find((d) => d?.id === leader);
  // The leader itself may not be among `nodes` (it was stopped); then agreement is enough.
  return holder === undefined || holder.isLeader ? leader : undefined;
}

async function startCluster(size: number, extra: string[] = []): Promise<ClusterNode[]> {
  const ports = await freePorts(size * 2);
  const specs = Array.from({ length: size }, (_, i) => ({
    id: `n${i + 1}`,
    listenPort: ports[i]!,
    httpPort: ports[size + i]!,
  }));
  const peers = specs.map((s) => `${s.id}=127.0.0.1:${s.listenPort}`).join(',');
  return specs.map((s) => ({
    ...s,
    proc: startCli([
      'node',
      '--protocol',
      'raft',
      '--id',
      s.id,
      '--listen',
      `127.0.0.1:${s.listenPort}`,
      '--peers',
      peers,
      '--http',
      `127.0.0.1:${s.httpPort}`,
      ...extra,
    ]),
  }));
}

async function waitForLeader(nodes: ClusterNode[], timeoutMs: number): Promise<string> {
  let leader: string | undefined;
  await waitFor(
    async () => {
      leader = await agreedLeader(nodes);
      return leader !== undefined;
    },
    timeoutMs,
    `agreement on a leader among ${nodes.map((n) => n.id).join(', ')}`,
    20,
  );
  return leader!;
}

function stderrLines(proc: CliProcess): string[] {
  return proc.stderr.split('\n').filter((l) => l !== '');
}

beforeAll(() => ensureBuilt(), 120_000);
afterEach(() => killSpawned());

describe('electorate node', () => {
  it('three processes agree on a leader; SIGTERM makes it resign, exit 0, and a new one take over', async () => {
    const nodes = await startCluster(3);
    const first = await waitForLeader(nodes, 10_000);

    const docs = await Promise.all(nodes.map((n) => diag(n.httpPort)));
    for (const [i, doc] of docs.entries()) {
      expect(Object.keys(doc!).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
      expect(doc).toMatchObject({ id: `n${i + 1}`, protocol: 'raft', leader: first });
      expect(doc!.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
      expect(Number.isNaN(Date.parse(doc!.startedAt))).toBe(false);
    }
    expect(new Set(docs.map((d) => d!.term)).size).toBe(1);

    const leader = nodes.find((n) => n.id === first)!;
    process.kill(leader.proc.pid, 'SIGTERM');
    await waitFor(() => leader.proc.exited, 5000, 'the leader to exit');
    expect(leader.proc.code).toBe(0);
    expect(leader.proc.stderr).toBe('');
    const lines = leader.proc.lines();
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(line).toMatch(TEXT_LINE);
    expect(
      lines.some((l) => l.endsWith(`${first} leader=${first} term=${docs[0]!.term} role=leader`)),
    ).toBe(true);

    const survivors = nodes.filter((n) => n !== leader);
    let next: string | undefined;
    await waitFor(
      async () => {
        next = await agreedLeader(survivors);
        return next !== undefined && next !== first;
      },
      5000,
      'a new leader among the survivors',
      20,
    );
    const after = await diag(survivors[0]!.httpPort);
    expect(after!.term).toBeGreaterThan(docs[0]!.term!);
    for (const n of survivors) expect(n.proc.exited).toBe(false);
  });

  it('serves /healthz, 404 for other paths and 405 for other methods', async () => {
    const [node] = await startCluster(1);
    await waitForLeader([node!], 10_000);
    const base = `http://127.0.0.1:${node!.httpPort}`;
    const health = await fetch(`${base}/healthz`);
    expect([health.status, await health.text()]).toEqual([200, 'ok\n']);
    expect((await fetch(`${base}/nope`)).status).toBe(404);
    const post = await fetch(`${base}/diag`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('writes one JSON object per change with --log json, and a lone member leads itself', async () => {
    const [node] = await startCluster(1, ['--log', 'json']);
    await waitForLeader([node!], 10_000);
    process.kill(node!.proc.pid, 'SIGINT');
    await waitFor(() => node!.proc.exited, 5000, 'the node to exit');
    expect(node!.proc.code).toBe(0);
    const events = node!.proc.lines().map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(events[0]).toMatchObject({ id: 'n1', role: 'follower', leader: null });
    expect(events).toContainEqual(
      expect.objectContaining({ id: 'n1', role: 'leader', leader: 'n1', isLeader: true }),
    );
    for (const e of events) expect(Number.isNaN(Date.parse(e.time as string))).toBe(false);
  });

  it('exits 1 with one line when its port is taken', async () => {
    const [port] = await freePorts(1);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port }, resolve));
    try {
      const proc = await runCli([
        'node',
        '--protocol=raft',
        '--id=n1',
        `--listen=127.0.0.1:${port}`,
        '--peers=n2=127.0.0.1:1',
      ]);
      expect(proc.code).toBe(1);
      const lines = stderrLines(proc);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(
        new RegExp(`^electorate: .*cannot listen on 127\\.0\\.0\\.1:${port}\\b.*EADDRINUSE`),
      );
    } finally {
      blocker.close();
    }
  });
});

describe('electorate usage', () => {
  it('prints usage with --help and no arguments, and the version with --version', async () => {
    for (const args of [['--help'], []]) {
      const proc = await runCli(args);
      expect(proc.code).toBe(0);
      expect(proc.stdout).toContain('electorate node --protocol raft');
      expect(proc.stdout).toContain('electorate node --protocol bully');
      expect(proc.stdout).toContain('electorate elect');
      expect(proc.stdout).toContain('electorate demo');
      expect(proc.stderr).toBe('');
    }
    const version = await runCli(['--version']);
    expect([version.code, version.stdout.trim()]).toEqual([0, '0.1.0']);
  });

  const bad: Array<[string, string[], string]> = [
    ['an unknown flag', ['node', '--protocol', 'raft', '--wat'], "unknown flag '--wat'"],
    [
      'an unknown protocol',
      ['node', '--protocol', 'paxos'],
      "--protocol must be one of raft, bully, les, kv, got 'paxos'",
    ],
    ['a missing value', ['node', '--protocol', 'raft', '--id'], '--id needs a value'],
    [
      'a heartbeat above the timeout',
      [
        'node',
        '--protocol=raft',
        '--id=n1',
        '--listen=127.0.0.1:7001',
        '--peers=n2=127.0.0.1:7002',
        '--heartbeat=500',
      ],
      '--heartbeat (500) must be at most a third of the minimum election timeout (150)',
    ],
    [
      'an unreadable TLS file',
      [
        'node',
        '--protocol=raft',
        '--id=n1',
        '--listen=127.0.0.1:7001',
        '--peers=n2=127.0.0.1:7002',
        '--tls-ca=/nonexistent/ca.pem',
        '--tls-cert=/nonexistent/n1.pem',
        '--tls-key=/nonexistent/n1.key',
      ],
      "--tls-ca: cannot read '/nonexistent/ca.pem' (ENOENT)",
    ],
    [
      'a bully pid past 64 bits',
      ['node', '--protocol', 'bully', '--pid', '18446744073709551616'],
      '--pid must be an unsigned 64-bit integer',
    ],
    [
      'a secret with the multibully wire format',
      ['node', '--protocol', 'bully', '--pid', '1', '--compat', 'multibully', '--secret', 'x'],
      'the multibully wire format has no authentication',
    ],
    [
      'an unreadable secret file',
      ['node', '--protocol', 'bully', '--pid', '1', '--secret-file', '/nonexistent/secret'],
      "--secret-file: cannot read '/nonexistent/secret' (ENOENT)",
    ],
    [
      'an unreadable token file for the diag server',
      [
        'node',
        '--protocol=raft',
        '--id=n1',
        '--listen=127.0.0.1:7001',
        '--peers=n2=127.0.0.1:7002',
        '--http=127.0.0.1:7101',
        '--http-token-file=/nonexistent/token',
      ],
      "--http-token-file: cannot read '/nonexistent/token' (ENOENT)",
    ],
    [
      'a data directory under /proc',
      [
        'node',
        '--protocol=raft',
        '--id=n1',
        '--listen=127.0.0.1:7001',
        '--peers=n2=127.0.0.1:7002',
        '--data-dir=/proc/nope/state',
      ],
      "--data-dir: cannot use '/proc/nope/state' (ENOENT)",
    ],
    [
      'a data directory under a file',
      [
        'node',
        '--protocol=raft',
        '--id=n1',
        '--listen=127.0.0.1:7001',
        '--peers=n2=127.0.0.1:7002',
        '--data-dir=/dev/null/state',
      ],
      "--data-dir: cannot use '/dev/null/state' (ENOTDIR)",
    ],
    ['an unknown command', ['serve'], "unknown command 'serve'"],
    ['chaos without a protocol', ['chaos'], '--protocol'],
    [
      'chaos with a store for raft',
      ['chaos', '--protocol', 'raft', '--store', 'etcd'],
      '--store works only with --protocol kv',
    ],
    [
      'chaos on an unknown store',
      ['chaos', '--protocol', 'kv', '--store', 'mysql'],
      "--store must be one of etcd, etcd-cluster, zookeeper, zookeeper-ensemble, redis, postgres, got 'mysql'",
    ],
    [
      'chaos with both a duration and a fault count',
      ['chaos', '--protocol', 'les', '--seconds', '30', '--faults', '4'],
      '--seconds and --faults cannot both be given',
    ],
    [
      'chaos with a nemesis the protocol has no use for',
      ['chaos', '--protocol', 'bully', '--nemesis', 'disk'],
      '--nemesis disk does not apply to --protocol bully',
    ],
  ];

  it.each(bad)('exits 2 with exactly one stderr line for %s', async (_name, args, message) => {
    const proc = await runCli(args);
    expect(proc.code).toBe(2);
    const lines = stderrLines(proc);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^electorate: /);
    expect(lines[0]).toContain(message);
    expect(proc.stdout).toBe('');
  });
});

describe('electorate demo', () => {
  it('runs a cluster in one process, summarises it each second and exits 0 on SIGINT', async () => {
    const proc = startCli(['demo', '--nodes', '3']);
    await waitFor(
      () => /cluster: n\d leads, term \d+ \(3\/3 agree\)/.test(proc.stdout),
      10_000,
      'a summary line naming a leader',
    );
    const diagUrls = [...proc.stdout.matchAll(/diag (http:\/\/127\.0\.0\.1:\d+\/diag)/g)].map(
      (m) => m[1]!,
    );
    expect(diagUrls).toHaveLength(3);
    const doc = (await (await fetch(diagUrls[0]!)).json()) as Diag;
    expect(doc.protocol).toBe('raft');
    process.kill(proc.pid, 'SIGINT');
    await waitFor(() => proc.exited, 5000, 'the demo to exit');
    expect(proc.code).toBe(0);
    expect(proc.stderr).toBe('');
  });
});

/** The status a WebSocket upgrade to `url` gets, 101 when it opens; `origin` as a page's. */
function upgradeStatus(url: string, origin: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { origin });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}

describe('electorate demo with --http-token-file', () => {
  it('lets only a holder of the token on its command socket, and never prints the token', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'electorate-demo-'));
    try {
      const token = `t${randomInt(1e9)}`;
      writeFileSync(join(dir, 'token'), `${token}\n`);
      const proc = startCli(['demo', '--nodes', '1', '--http-token-file', join(dir, 'token')]);
      await waitFor(() => /demo: dashboard http:\/\/\S+/.test(proc.stdout), 10_000, 'the URL');
      const page = /demo: dashboard (http:\/\/127\.0\.0\.1:\d+\/)#token=TOKEN/.exec(
        proc.stdout,
      )![1]!;
      const socket = `${page.replace('http:', 'ws:')}ws`;
      const origin = page.slice(0, -1);
      // Any local program can forge an Origin header: the check alone never stopped them.
      expect(await upgradeStatus(socket, origin)).toBe(401);
      expect(await upgradeStatus(`${socket}?token=nope`, origin)).toBe(401);
      expect(await upgradeStatus(`${socket}?token=${token}`, origin)).toBe(101);
      const diag = /diag (http:\/\/127\.0\.0\.1:\d+)\/diag/.exec(proc.stdout)![1]!;
      expect((await fetch(`${diag}/resign`, { method: 'POST' })).status).toBe(401);
      expect(proc.stdout).not.toContain(token);
      process.kill(proc.pid, 'SIGINT');
      await waitFor(() => proc.exited, 5000, 'the demo to exit');
      expect(proc.code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('electorate elect', () => {
  it('prints the leaders as a JSON array, the same as electLeaders', async () => {
    const peers = ['a', 'b', 'c', 'd', 'e'];
    for (const strategy of ['rendezvous', 'chainpoint'] as const) {
      const entropy = '0xdeadbeefcafebabe';
      const proc = await runCli([
        'elect',
        '--peers',
        peers.join(','),
        '--leaders',
        '2',
        '--entropy',
        entropy,
        '--strategy',
        strategy,
      ]);
      expect([proc.code, proc.stderr]).toEqual([0, '']);
      expect(proc.lines()).toHaveLength(1);
      expect(JSON.parse(proc.stdout)).toEqual(electLeaders(peers, 2, entropy, { strategy }));
    }
  });

  const bad: Array<[string, string[], string]> = [
    [
      'duplicate peers',
      ['--peers', 'a,b,a', '--leaders', '1', '--entropy', 'x'],
      'duplicate peer id "a"',
    ],
    [
      'short chainpoint entropy',
      ['--peers', 'a,b', '--leaders', '1', '--entropy', 'abc', '--strategy', 'chainpoint'],
      'the chainpoint strategy needs at least 7 bytes of entropy, got 3',
    ],
    ['zero leaders', ['--peers', 'a,b', '--leaders', '0', '--entropy', 'x'], '--leaders must be'],
    ['no entropy', ['--peers', 'a,b', '--leaders', '1'], 'missing --entropy'],
  ];

  it.each(bad)('exits 2 with one stderr line for %s', async (_name, args, message) => {
    const proc = await runCli(['elect', ...args]);
    expect(proc.code).toBe(2);
    const lines = stderrLines(proc);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^electorate: /);
    expect(lines[0]).toContain(message);
    expect(proc.stdout).toBe('');
  });
});

/** A group and port of its own per test, so concurrent runs never hear each other. */
function randomGroup(): string {
  return `239.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}:${randomInt(20_000, 60_000)}`;
}

interface BullyNode {
  pid: number;
  httpPort: number;
  proc: CliProcess;
}

async function startBullyCluster(pids: number[]): Promise<BullyNode[]> {
  const group = randomGroup();
  const ports = await freePorts(pids.length);
  return pids.map((pid, i) => ({
    pid,
    httpPort: ports[i]!,
    proc: startCli([
      'node',
      '--protocol',
      'bully',
      '--transport',
      'udp',
      '--group',
      group,
      '--iface',
      '127.0.0.1',
      '--pid',
      String(pid),
      '--http',
      `127.0.0.1:${ports[i]}`,
    ]),
  }));
}

/** Waits until every node's /diag names the member with `pid` as leader, and it leads. */
async function bullyAgreeOn(nodes: BullyNode[], pid: number, timeoutMs: number): Promise<Diag[]> {
  let docs: (Diag | undefined)[] = [];
  await waitFor(
    async () => {
      docs = await Promise.all(nodes.map((n) => diag(n.httpPort)));
      const leader = docs.find((d) => d?.id === `127.0.0.1:${pid}`);
      return (
        docs.every((d) => d?.leaderPid === String(pid)) &&
        (leader === undefined || leader.role === 'leader')
      );
    },
    timeoutMs,
    `agreement on pid ${pid}`,
    20,
  );
  return docs as Diag[];
}

const BULLY_LINE =
  /^\S+Z 127\.0\.0\.1:\d+ leader=(127\.0\.0\.1:\d+|-) leaderAddress=(127\.0\.0\.1|-) leaderPid=(\d+|-) term=\d+ role=\w+$/;

describe('electorate node --protocol bully', () => {
  it('three processes on a multicast group: the highest pid leads, then the next after SIGTERM', async () => {
    const nodes = await startBullyCluster([3, 7, 5]);
    const docs = await bullyAgreeOn(nodes, 7, 10_000);
    for (const [i, doc] of docs.entries()) {
      expect(Object.keys(doc).slice(0, CONTRACT_KEYS.length)).toEqual(CONTRACT_KEYS);
      expect(doc).toMatchObject({
        id: `127.0.0.1:${nodes[i]!.pid}`,
        protocol: 'bully',
        leader: '127.0.0.1:7',
        leaderAddress: '127.0.0.1',
        leaderPid: '7',
      });
    }

    const leader = nodes[1]!;
    process.kill(leader.proc.pid, 'SIGTERM');
    await waitFor(() => leader.proc.exited, 5000, 'the leader to exit');
    expect([leader.proc.code, leader.proc.stderr]).toEqual([0, '']);
    const lines = leader.proc.lines();
    for (const line of lines) expect(line).toMatch(BULLY_LINE);
    expect(
      lines.some((l) =>
        / leader=127\.0\.0\.1:7 leaderAddress=127\.0\.0\.1 leaderPid=7 .* role=leader$/.test(l),
      ),
    ).toBe(true);

    const survivors = [nodes[0]!, nodes[2]!];
    await bullyAgreeOn(survivors, 5, 5000);
    for (const n of survivors) {
      expect(n.proc.exited).toBe(false);
      await waitFor(
        () => n.proc.stdout.includes('leaderPid=5'),
        2000,
        'a change line naming pid 5',
      );
    }
  });
});

describe('electorate node --protocol bully --transport tcp', () => {
  it('three processes with known peers agree on the highest pid', async () => {
    const ports = await freePorts(6);
    const ids = ['b1', 'b2', 'b3'];
    const peers = ids.map((id, i) => `${id}=127.0.0.1:${ports[i]}`).join(',');
    const nodes = ids.map((id, i) => ({
      pid: 10 + i,
      httpPort: ports[3 + i]!,
      proc: startCli([
        'node',
        '--protocol=bully',
        '--transport=tcp',
        `--id=${id}`,
        `--pid=${10 + i}`,
        `--listen=127.0.0.1:${ports[i]}`,
        `--peers=${peers}`,
        `--http=127.0.0.1:${ports[3 + i]}`,
      ]),
    }));
    let docs: (Diag | undefined)[] = [];
    await waitFor(
      async () => {
        docs = await Promise.all(nodes.map((n) => diag(n.httpPort)));
        return docs.every((d) => d?.leader === 'b3');
      },
      10_000,
      'agreement on b3',
      20,
    );
    expect(docs.map((d) => [d!.leaderPid, d!.leaderAddress])).toEqual([
      ['12', `127.0.0.1:${ports[2]}`],
      ['12', `127.0.0.1:${ports[2]}`],
      ['12', `127.0.0.1:${ports[2]}`],
    ]);
  });
});
