import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import {
  chownSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, it } from 'vitest';
import { freePorts } from './free-port.js';
import { waitFor } from './wait-for.js';

/**
 * Real etcd, ZooKeeper, Redis and PostgreSQL servers for the KV-lease tests, each on free
 * 127.0.0.1 ports with a temporary data directory. A server can be killed and started again
 * on the same data directory and port, or frozen (SIGSTOP) and thawed (SIGCONT). Only
 * processes started here are ever signalled, by their pid (PostgreSQL: the postmaster and
 * the backends it forked, so they freeze and die together).
 */

export type StoreKind = 'etcd' | 'zookeeper' | 'redis' | 'postgres';

/** The Debian package that provides each server. */
export const DEBIAN_PACKAGE: Record<StoreKind, string> = {
  etcd: 'etcd-server',
  zookeeper: 'zookeeper',
  redis: 'redis-server',
  postgres: 'postgresql',
};

const ETCD = '/usr/bin/etcd';
const REDIS = '/usr/bin/redis-server';
const JAVA = '/usr/bin/java';
const ZOOKEEPER_JAR = '/usr/share/java/zookeeper.jar';
const POSTGRES_BIN = '/usr/lib/postgresql/15/bin';
/** The role the tests connect as (trusted on loopback and the socket). */
export const POSTGRES_USER = 'electorate';

export function serverInstalled(kind: StoreKind): boolean {
  switch (kind) {
    case 'etcd':
      return existsSync(ETCD);
    case 'redis':
      return existsSync(REDIS);
    case 'zookeeper':
      return existsSync(JAVA) && existsSync(ZOOKEEPER_JAR);
    case 'postgres':
      return existsSync(join(POSTGRES_BIN, 'initdb'));
  }
}

/**
 * PostgreSQL refuses to run as root: as root, the server runs as `nobody`; otherwise as
 * whoever runs the tests.
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

/**
 * `describe` for a suite that needs a real server. Without the server, a local run skips
 * the suite and says which package to install; a CI run (CI=true) fails instead, so a
 * missing server can never pass unnoticed.
 */
export function describeWithServer(kind: StoreKind, name: string, suite: () => void): void {
  if (serverInstalled(kind)) {
    describe(name, suite);
    return;
  }
  const why = `${kind} is not installed (Debian package ${DEBIAN_PACKAGE[kind]})`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it(`needs ${kind}`, () => {
        throw new Error(`${why}; CI must run every store's tests`);
      });
    });
    return;
  }
  console.warn(`skipping "${name}": ${why}`);
  describe.skip(`${name} (skipped: install ${DEBIAN_PACKAGE[kind]})`, suite);
}

export interface StoreServerOptions {
  /** Redis: turn keyspace notifications on (default true). */
  notifications?: boolean;
}

export class StoreServer {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private output = '';
  readonly dataDir: string;

  private constructor(
    readonly kind: StoreKind,
    readonly port: number,
    private readonly peerPort: number,
    private readonly options: StoreServerOptions,
  ) {
    this.dataDir = mkdtempSync(join(tmpdir(), `electorate-${kind}-`));
    if (kind === 'postgres') this.initPostgres();
  }

  /** Starts a server of `kind` on free ports and waits until it answers. */
  static async start(kind: StoreKind, options: StoreServerOptions = {}): Promise<StoreServer> {
    const [port, peerPort] = await freePorts(2);
    const server = new StoreServer(kind, port!, peerPort!, options);
    await server.start();
    return server;
  }

  /** The store URL electorate's CLI and `storeFromUrl` take. */
  get url(): string {
    if (this.kind === 'postgres') {
      return `postgres://${POSTGRES_USER}@127.0.0.1:${this.port}/postgres`;
    }
    const scheme = { etcd: 'etcd', zookeeper: 'zk', redis: 'redis' }[this.kind];
    return `${scheme}://127.0.0.1:${this.port}`;
  }

  get pid(): number {
    const pid = this.child?.pid;
    if (pid === undefined) throw new Error(`${this.kind} is not running`);
    return pid;
  }

  get running(): boolean {
    return this.child !== undefined;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) throw new Error(`${this.kind} is already running`);
    const [command, args] = this.commandLine();
    const child = spawn(command, args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: this.dataDir,
      ...(this.kind === 'postgres' ? unprivileged() : {}),
    });
    this.child = child;
    this.output = '';
    const keep = (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-4000);
    };
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.exited = new Promise((resolve) => {
      child.once('exit', () => {
        if (this.child === child) this.child = undefined;
        resolve();
      });
    });
    try {
      // ZooKeeper's JVM takes a few seconds on a busy machine.
      await waitFor(
        () => this.child === child && this.ready(),
        60_000,
        `${this.kind} to answer`,
        50,
      );
    } catch (err) {
      await this.kill();
      throw new Error(`${(err as Error).message}; its output:\n${this.output}`);
    }
  }

  /** Ends the server abruptly (SIGKILL), as a crash would. The data directory stays. */
  async kill(): Promise<void> {
    const child = this.child;
    if (child?.pid === undefined) return;
    const all = this.processes();
    this.signal('SIGCONT', all);
    this.signal('SIGKILL', all);
    await this.exited;
    if (this.kind === 'postgres') await this.gone(all);
  }

  /** Killed, then started again on the same port and data directory. */
  async restart(): Promise<void> {
    await this.kill();
    await this.start();
  }

  /** Freezes the server: connections stay open, nothing is answered. */
  pause(): void {
    this.signal('SIGSTOP');
  }

  resume(): void {
    this.signal('SIGCONT');
  }

  private signal(signal: NodeJS.Signals, pids = this.processes()): void {
    for (const pid of pids) {
      try {
        process.kill(pid, signal);
      } catch {
        // A backend that exited since it was listed.
      }
    }
  }

  /**
   * The server's processes, parent first. PostgreSQL's backends each lead a process group
   * of their own, so a group signal would miss them: they are found as the postmaster's
   * children.
   */
  private processes(): number[] {
    const pid = this.pid;
    if (this.kind !== 'postgres') return [pid];
    const children = readdirSync('/proc')
      .filter((d) => /^[0-9]+$/.test(d))
      .filter((d) => procStat(Number(d))?.ppid === pid)
      .map(Number);
    return [pid, ...children];
  }

  /**
   * A new postmaster refuses the data directory while a backend of the old one still
   * holds its shared memory: wait until every killed process is gone (or a zombie).
   */
  private async gone(pids: number[]): Promise<void> {
    await waitFor(
      () => pids.every((p) => (procStat(p)?.state ?? 'Z') === 'Z'),
      10_000,
      'the killed postgres backends to exit',
      20,
    );
  }

  private get postgresData(): string {
    return join(this.dataDir, 'data');
  }

  /** A fresh cluster: a trusted superuser role, the data directory owned by the server's user. */
  private initPostgres(): void {
    const user = unprivileged();
    if (user !== undefined) chownSync(this.dataDir, user.uid, user.gid);
    const result = spawnSync(
      join(POSTGRES_BIN, 'initdb'),
      [
        '-D',
        this.postgresData,
        '-U',
        POSTGRES_USER,
        '--auth=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
      ],
      { cwd: this.dataDir, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' }, ...user },
    );
    if (result.status !== 0) {
      throw new Error(`initdb failed: ${result.error?.message ?? ''}${result.stderr}`);
    }
  }

  /** Stops the server and removes its data directory. */
  async dispose(): Promise<void> {
    await this.kill();
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  private commandLine(): [string, string[]] {
    const host = '127.0.0.1';
    switch (this.kind) {
      case 'etcd': {
        const client = `http://${host}:${this.port}`;
        const peer = `http://${host}:${this.peerPort}`;
        return [
          ETCD,
          [
            '--name',
            'electorate-test',
            '--data-dir',
            join(this.dataDir, 'etcd'),
            '--listen-client-urls',
            client,
            '--advertise-client-urls',
            client,
            '--listen-peer-urls',
            peer,
            '--initial-advertise-peer-urls',
            peer,
            '--initial-cluster',
            `electorate-test=${peer}`,
          ],
        ];
      }
      case 'redis': {
        const args = [
          '--port',
          String(this.port),
          '--bind',
          host,
          '--save',
          '',
          '--dir',
          this.dataDir,
          // A restart must not forget a held key or the fencing counter.
          '--appendonly',
          'yes',
          '--appendfsync',
          'always',
        ];
        if (this.options.notifications !== false) args.push('--notify-keyspace-events', 'Kg$x');
        return [REDIS, args];
      }
      case 'zookeeper': {
        const cfg = join(this.dataDir, 'zoo.cfg');
        writeFileSync(
          cfg,
          [
            // Session timeouts run from 2 to 20 ticks: 400 ms to 4 s here.
            'tickTime=200',
            `dataDir=${join(this.dataDir, 'data')}`,
            `clientPort=${this.port}`,
            `clientPortAddress=${host}`,
            'admin.enableServer=false',
            '4lw.commands.whitelist=ruok',
            '',
          ].join('\n'),
        );
        return [
          JAVA,
          [
            '-Xmx256m',
            '-Dzookeeper.admin.enableServer=false',
            '-cp',
            ZOOKEEPER_JAR,
            'org.apache.zookeeper.server.ZooKeeperServerMain',
            cfg,
          ],
        ];
      }
      case 'postgres':
        return [
          join(POSTGRES_BIN, 'postgres'),
          [
            '-D',
            this.postgresData,
            '-p',
            String(this.port),
            '-c',
            `listen_addresses=${host}`,
            '-c',
            `unix_socket_directories=${this.dataDir}`,
            '-c',
            'shared_buffers=16MB',
          ],
        ];
    }
  }

  private async ready(): Promise<boolean> {
    switch (this.kind) {
      case 'etcd':
        try {
          const res = await fetch(`http://127.0.0.1:${this.port}/health`, {
            signal: AbortSignal.timeout(1000),
          });
          return res.ok && ((await res.json()) as { health?: string }).health === 'true';
        } catch {
          return false;
        }
      case 'redis':
        return (await ask(this.port, '*1\r\n$4\r\nPING\r\n')).startsWith('+PONG');
      case 'zookeeper':
        return (await ask(this.port, 'ruok')) === 'imok';
      case 'postgres':
        return this.postgresAnswers();
    }
  }

  private async postgresAnswers(): Promise<boolean> {
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 1000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => undefined);
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

/** Sends `text` on a fresh connection and collects the answer until the server closes or 1 s passes. */
function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = () => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(1000, done);
    socket.on('error', done);
    socket.on('close', done);
    socket.on('data', (d) => {
      answer += d.toString();
      if (answer.includes('\r\n') || answer === 'imok') done();
    });
    socket.on('connect', () => socket.write(text));
  });
}
