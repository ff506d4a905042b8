import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { LAB_NETWORK } from './netns.js';

/**
 * The store a KV fault run elects on, started from the Debian packages' binaries inside the
 * hub namespace: one etcd, Redis, ZooKeeper or PostgreSQL server, or a three-member etcd cluster or
 * ZooKeeper ensemble whose members can be frozen, killed and restarted one by one on
 * their own data directories.
 */
export type ChaosStoreKind =
  | 'etcd'
  | 'etcd-cluster'
  | 'zookeeper'
  | 'zookeeper-ensemble'
  | 'redis'
  | 'postgres';

/** Every store a kv fault run can use (`electorate chaos --store`). */
export const CHAOS_STORES: readonly ChaosStoreKind[] = [
  'etcd',
  'etcd-cluster',
  'zookeeper',
  'zookeeper-ensemble',
  'redis',
  'postgres',
];

const BINARIES = {
  etcd: '/usr/bin/etcd',
  redis: '/usr/bin/redis-server',
  java: '/usr/bin/java',
  zookeeper: '/usr/share/java/zookeeper.jar',
  postgres: '/usr/lib/postgresql/15/bin',
};

/** The role the PostgreSQL store connects as: a trusted superuser made by initdb. */
const POSTGRES_USER = 'electorate';

interface Member {
  name: string;
  clientPort: number;
  peerPort: number;
  electionPort: number;
  dir: string;
  child: ChildProcess | undefined;
  exited: Promise<void>;
  output: string;
}

export class ChaosStore {
  private readonly members: Member[];

  constructor(
    readonly kind: ChaosStoreKind,
    private readonly host: string,
    root: string,
  ) {
    const size = kind.endsWith('-cluster') || kind.endsWith('-ensemble') ? 3 : 1;
    this.members = Array.from({ length: size }, (_, i) => ({
      name: `m${i + 1}`,
      clientPort: kind === 'postgres' ? 5432 : 2379 + i * 10,
      peerPort: 2380 + i * 10,
      electionPort: 2381 + i * 10,
      // PostgreSQL runs as nobody when the lab runs as root, and the run's own directory
      // may not be open to it: its data lives in a directory of its own, removed at stop.
      dir:
        kind === 'postgres'
          ? mkdtempSync(join(tmpdir(), 'electorate-chaos-pg-'))
          : join(root, `m${i + 1}`),
      child: undefined,
      exited: Promise.resolve(),
      output: '',
    }));
  }

  /**
   * The server's version as it reports it ('3.4.23'), read once; undefined when it will not
   * say. The checker needs it where a store version has a defect of its own.
   */
  get version(): string | undefined {
    if (this.versionText === null) this.versionText = readVersion(this.kind);
    return this.versionText;
  }

  private versionText: string | undefined | null = null;

  get size(): number {
    return this.members.length;
  }

  get memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  /** The URL electorate's `--store` takes. */
  get url(): string {
    if (this.kind === 'postgres') {
      return `postgres://${POSTGRES_USER}@${this.host}:${this.members[0]!.clientPort}/postgres`;
    }
    const scheme = this.kind.startsWith('etcd') ? 'etcd' : this.kind === 'redis' ? 'redis' : 'zk';
    return `${scheme}://${this.members.map((m) => `${this.host}:${m.clientPort}`).join(',')}`;
  }

  pidOf(index: number): number | undefined {
    return this.members[index]?.child?.pid;
  }

  async start(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.startMember(i)));
  }

  async startMember(index: number): Promise<void> {
    const member = this.members[index]!;
    if (member.child !== undefined) return;
    mkdirSync(member.dir, { recursive: true });
    if (this.kind === 'postgres') initPostgres(member.dir);
    const [command, args] = this.commandLine(member);
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: member.dir,
      ...(this.kind === 'postgres' ? unprivileged() : {}),
    });
    member.child = child;
    const keep = (chunk: Buffer) => {
      member.output = (member.output + chunk.toString()).slice(-4000);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    member.exited = new Promise((resolve) =>
      child.once('exit', () => {
        if (member.child === child) member.child = undefined;
        resolve();
      }),
    );
    // A lone member of a cluster cannot answer until a quorum is up: wait only for the
    // port then, and for a real answer from a single server.
    const deadline = Date.now() + 60_000;
    while (!(await this.answers(member, this.size > 1))) {
      if (member.child !== child || Date.now() > deadline) {
        throw new Error(`${this.kind} ${member.name} did not start; its output:\n${member.output}`);
      }
      await sleep(100);
    }
  }

  /** Waits until the whole store serves (after a restart, a cluster needs its quorum). */
  async ready(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const up = await Promise.all(
        this.members.map((m) => (m.child === undefined ? false : this.answers(m, false))),
      );
      if (up.filter(Boolean).length > this.size / 2) return;
      if (Date.now() > deadline) throw new Error(`${this.kind} did not become ready`);
      await sleep(100);
    }
  }

  async kill(index: number): Promise<void> {
    const member = this.members[index]!;
    const pids = this.processes(index);
    if (pids.length === 0) return;
    signal(pids, 'SIGCONT');
    signal(pids, 'SIGKILL');
    await member.exited;
    if (this.kind === 'postgres') await gone(pids);
  }

  pause(index: number): void {
    signal(this.processes(index), 'SIGSTOP');
  }

  resume(index: number): void {
    signal(this.processes(index), 'SIGCONT');
  }

  /**
   * A member's processes, parent first. PostgreSQL's backends each lead a process group of
   * their own, so they are found as the postmaster's children: a freeze must stop them too,
   * or the open sessions would go on answering.
   */
  private processes(index: number): number[] {
    const pid = this.pidOf(index);
    if (pid === undefined) return [];
    if (this.kind !== 'postgres') return [pid];
    const children = readdirSync('/proc')
      .filter((d) => /^[0-9]+$/.test(d) && procStat(Number(d))?.ppid === pid)
      .map(Number);
    return [pid, ...children];
  }

  /** The member that leads the cluster now, when it says so (etcd metrics, ZooKeeper srvr). */
  async leaderMember(): Promise<number | undefined> {
    for (let i = 0; i < this.members.length; i++) {
      const m = this.members[i]!;
      if (m.child === undefined) continue;
      if (this.kind === 'etcd-cluster') {
        const text = await httpText(`http://${this.host}:${m.clientPort}/metrics`);
        if (/^etcd_server_is_leader 1$/m.test(text)) return i;
      } else if (this.kind === 'zookeeper-ensemble') {
        if ((await ask(this.host, m.clientPort, 'srvr')).includes('Mode: leader')) return i;
      }
    }
    return undefined;
  }

  async stop(): Promise<void> {
    await Promise.all(this.members.map((_, i) => this.kill(i)));
    if (this.kind === 'postgres') {
      for (const m of this.members) rmSync(m.dir, { recursive: true, force: true });
    }
  }

  private async answers(member: Member, portOnly: boolean): Promise<boolean> {
    const { clientPort } = member;
    if (portOnly) return (await ask(this.host, clientPort, '')) !== 'refused';
    switch (this.kind) {
      case 'etcd':
      case 'etcd-cluster':
        return /"health":\s*"true"/.test(
          await httpText(`http://${this.host}:${clientPort}/health`),
        );
      case 'redis':
        return (await ask(this.host, clientPort, '*1\r\n$4\r\nPING\r\n')).startsWith('+PONG');
      case 'postgres':
        return postgresReady(this.host, clientPort);
      default:
        return (await ask(this.host, clientPort, 'ruok')) === 'imok';
    }
  }

  private commandLine(member: Member): [string, string[]] {
    const h = this.host;
    switch (this.kind) {
      case 'etcd':
      case 'etcd-cluster': {
        const client = `http://${h}:${member.clientPort}`;
        const cluster = this.members.map((m) => `${m.name}=http://${h}:${m.peerPort}`).join(',');
        return [
          BINARIES.etcd,
          [
            ...['--name', member.name, '--data-dir', join(member.dir, 'data')],
            ...['--listen-client-urls', client, '--advertise-client-urls', client],
            ...['--listen-peer-urls', `http://${h}:${member.peerPort}`],
            ...['--initial-advertise-peer-urls', `http://${h}:${member.peerPort}`],
            ...['--initial-cluster', cluster, '--initial-cluster-state', 'new'],
            ...['--heartbeat-interval', '100', '--election-timeout', '1000'],
          ],
        ];
      }
      case 'postgres':
        return [
          join(BINARIES.postgres, 'postgres'),
          [
            ...['-D', join(member.dir, 'data'), '-p', String(member.clientPort)],
            ...['-c', `listen_addresses=${h}`, '-c', `unix_socket_directories=${member.dir}`],
            ...['-c', 'shared_buffers=16MB', '-c', 'fsync=on'],
          ],
        ];
      case 'redis':
        return [
          BINARIES.redis,
          [
            ...['--port', String(member.clientPort), '--bind', h, '--save', ''],
            ...['--dir', member.dir, '--appendonly', 'yes', '--appendfsync', 'always'],
            ...['--notify-keyspace-events', 'Kg$x', '--protected-mode', 'no'],
          ],
        ];
      default: {
        const data = join(member.dir, 'data');
        mkdirSync(data, { recursive: true });
        const lines = [
          'tickTime=200',
          'initLimit=20',
          'syncLimit=10',
          `dataDir=${data}`,
          `clientPort=${member.clientPort}`,
          `clientPortAddress=${h}`,
          'admin.enableServer=false',
          '4lw.commands.whitelist=ruok,srvr',
        ];
        if (this.size > 1) {
          writeFileSync(join(data, 'myid'), member.name.slice(1));
          for (const m of this.members) {
            lines.push(`server.${m.name.slice(1)}=${h}:${m.peerPort}:${m.electionPort}`);
          }
        }
        const cfg = join(member.dir, 'zoo.cfg');
        writeFileSync(cfg, `${lines.join('\n')}\n`);
        const main =
          this.size > 1
            ? 'org.apache.zookeeper.server.quorum.QuorumPeerMain'
            : 'org.apache.zookeeper.server.ZooKeeperServerMain';
        return [
          BINARIES.java,
          [
            '-Xmx256m',
            '-Dzookeeper.admin.enableServer=false',
            '-cp',
            BINARIES.zookeeper,
            main,
            cfg,
          ],
        ];
      }
    }
  }
}

/**
 * PostgreSQL refuses to run as root: as root the server runs as `nobody`, otherwise as
 * whoever runs the lab.
 */
function unprivileged(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('nobody:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  if (uid === undefined || gid === undefined) throw new Error('no user nobody to run postgres as');
  return { uid: Number(uid), gid: Number(gid) };
}

/** A fresh cluster on first start (a restart keeps its data): a trusted superuser role. */
function initPostgres(dir: string): void {
  const data = join(dir, 'data');
  if (readdirSync(dir).includes('data')) return;
  const user = unprivileged();
  if (user !== undefined) chownSync(dir, user.uid, user.gid);
  const result = spawnSync(
    join(BINARIES.postgres, 'initdb'),
    ['-D', data, '-U', POSTGRES_USER, '--auth=trust', '--encoding=UTF8', '--locale=C'],
    { encoding: 'utf8', ...(user ?? {}) },
  );
  if (result.status !== 0) throw new Error(`initdb failed: ${result.stderr || result.error}`);
  // initdb trusts loopback only; the nodes connect from their own namespaces' addresses,
  // which exist only inside this lab.
  appendFileSync(join(data, 'pg_hba.conf'), `host all all ${LAB_NETWORK} trust\n`);
}

function postgresReady(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const check = spawn(
      join(BINARIES.postgres, 'pg_isready'),
      ['-h', host, '-p', String(port), '-U', POSTGRES_USER, '-t', '1'],
      { stdio: 'ignore' },
    );
    check.once('exit', (code) => resolve(code === 0));
    check.once('error', () => resolve(false));
  });
}

function signal(pids: number[], name: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, name);
    } catch {
      // A backend that exited since it was listed.
    }
  }
}

/** A process's state letter and parent, from /proc (undefined once it is gone). */
function procStat(pid: number): { state: string; ppid: number } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name in parentheses may hold spaces: the fields follow the last ')'.
    const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: state!, ppid: Number(ppid) };
  } catch {
    return undefined;
  }
}

/**
 * A new postmaster refuses the data directory while a backend of the old one still holds
 * its shared memory: wait until every killed process is gone (or a zombie).
 */
async function gone(pids: number[]): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!pids.every((p) => (procStat(p)?.state ?? 'Z') === 'Z')) {
    if (Date.now() > deadline) throw new Error('killed postgres backends did not exit');
    await sleep(20);
  }
}

async function httpText(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
    return await res.text();
  } catch {
    return '';
  }
}

/** Sends `line` on a fresh connection and returns everything answered before close. */
function ask(host: string, port: number, line: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect(port, host);
    const done = (text: string) => {
      socket.destroy();
      resolve(text);
    };
    socket.setTimeout(1000, () => done(answer));
    socket.on('connect', () => (line === '' ? done('open') : socket.write(line)));
    socket.on('data', (chunk) => {
      answer += chunk.toString();
      if (answer.includes('\n') && line.startsWith('*')) done(answer);
    });
    socket.on('end', () => done(answer));
    socket.on('error', () => done('refused'));
  });
}

/** What `--version` prints, reduced to the dotted number ('etcd Version: 3.4.23' → '3.4.23'). */
function readVersion(kind: ChaosStoreKind): string | undefined {
  const [command, args]: [string, string[]] = kind.startsWith('etcd')
    ? [BINARIES.etcd, ['--version']]
    : kind === 'redis'
      ? [BINARIES.redis, ['--version']]
      : kind === 'postgres'
        ? [join(BINARIES.postgres, 'postgres'), ['--version']]
        : ['dpkg-query', ['-W', `-f=${'$'}{Version}`, 'zookeeper']];
  const out = spawnSync(command, args, { encoding: 'utf8', timeout: 10_000 });
  if (out.status !== 0) return undefined;
  return /(\d+\.\d+(?:\.\d+)?)/.exec(out.stdout)?.[1];
}
