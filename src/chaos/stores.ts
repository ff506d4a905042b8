import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/**
 * The store a KV fault run elects on, started from the Debian packages' binaries inside the
 * hub namespace: one etcd, Redis or ZooKeeper server, or a three-member etcd cluster or
 * ZooKeeper ensemble whose members can be frozen, killed and restarted one by one on
 * their own data directories.
 */
export type ChaosStoreKind = 'etcd' | 'etcd-cluster' | 'zookeeper' | 'zookeeper-ensemble' | 'redis';

export const CHAOS_STORES: readonly ChaosStoreKind[] = [
  'etcd',
  'etcd-cluster',
  'zookeeper',
  'zookeeper-ensemble',
  'redis',
];

const BINARIES = {
  etcd: '/usr/bin/etcd',
  redis: '/usr/bin/redis-server',
  java: '/usr/bin/java',
  zookeeper: '/usr/share/java/zookeeper.jar',
};

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
      clientPort: 2379 + i * 10,
      peerPort: 2380 + i * 10,
      electionPort: 2381 + i * 10,
      dir: join(root, `m${i + 1}`),
      child: undefined,
      exited: Promise.resolve(),
      output: '',
    }));
  }

  get size(): number {
    return this.members.length;
  }

  get memberNames(): string[] {
    return this.members.map((m) => m.name);
  }

  /** The URL electorate's `--store` takes. */
  get url(): string {
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
    const [command, args] = this.commandLine(member);
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], cwd: member.dir });
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
    const pid = member.child?.pid;
    if (pid === undefined) return;
    process.kill(pid, 'SIGCONT');
    process.kill(pid, 'SIGKILL');
    await member.exited;
  }

  pause(index: number): void {
    const pid = this.pidOf(index);
    if (pid !== undefined) process.kill(pid, 'SIGSTOP');
  }

  resume(index: number): void {
    const pid = this.pidOf(index);
    if (pid !== undefined) process.kill(pid, 'SIGCONT');
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
