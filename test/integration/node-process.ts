import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { PeerConfig, Role } from '../../src/index.js';
import type { StreamKind } from './election-cluster.js';
import { waitFor } from './wait-for.js';

// Runs against the built package, so the child needs no TypeScript loader.
const FIXTURE = fileURLToPath(new URL('./fixtures/raft-node.mjs', import.meta.url));

export interface NodeProcessConfig {
  id: string;
  transport: StreamKind;
  listen: string;
  peers: PeerConfig[];
}

/** The latest status line a child printed. */
export interface ReportedStatus {
  id: string;
  pid: number;
  role: Role;
  leader: string | null;
  term: number | null;
  isLeader: boolean;
}

/** A cluster member in a child process, and what it last reported. */
export class NodeProcess {
  status: ReportedStatus | undefined;
  /** Errors it reported and anything it wrote to stderr, for failure messages. */
  readonly problems: string[] = [];
  private readonly child: ChildProcess;
  private readonly exit: Promise<void>;
  private exited = false;

  constructor(readonly config: NodeProcessConfig) {
    this.child = spawn(process.execPath, [FIXTURE, JSON.stringify(config)], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.exit = new Promise((resolve) => {
      this.child.once('exit', () => {
        this.exited = true;
        resolve();
      });
    });
    createInterface({ input: this.child.stdout! }).on('line', (line) => this.read(line));
    this.child.stderr!.on('data', (chunk: Buffer) => this.problems.push(chunk.toString()));
  }

  get id(): string {
    return this.config.id;
  }

  get pid(): number {
    const { pid } = this.child;
    if (pid === undefined) throw new Error(`process for ${this.id} did not spawn`);
    return pid;
  }

  get alive(): boolean {
    return !this.exited;
  }

  /** SIGKILL by PID: no resign, no goodbye, the OS just drops its sockets. */
  async kill(): Promise<void> {
    if (this.exited || this.child.pid === undefined) return;
    try {
      process.kill(this.child.pid, 'SIGKILL');
    } catch {
      // Already gone between the check and the signal.
    }
    await this.exit;
  }

  private read(line: string): void {
    let parsed: Partial<ReportedStatus> & { error?: string };
    try {
      parsed = JSON.parse(line);
    } catch {
      this.problems.push(line);
      return;
    }
    if (parsed.error !== undefined) this.problems.push(parsed.error);
    else this.status = parsed as ReportedStatus;
  }
}

/**
 * The one leader every listed process names, in one term above `aboveTerm`, when they agree
 * and it holds the lease; undefined otherwise.
 */
export function reportedAgreement(
  nodes: NodeProcess[],
  aboveTerm = -1,
): ReportedStatus | undefined {
  const statuses = nodes.map((n) => n.status);
  if (statuses.some((s) => s === undefined)) return undefined;
  const leaders = statuses.filter((s) => s!.isLeader);
  if (leaders.length !== 1) return undefined;
  const leader = leaders[0]!;
  if (leader.term === null || leader.term <= aboveTerm) return undefined;
  return statuses.every((s) => s!.leader === leader.id && s!.term === leader.term)
    ? leader
    : undefined;
}

/**
 * Waits for `reportedAgreement`. A timeout names what each process last reported and
 * anything it complained about, since a child's failure is otherwise invisible here.
 */
export async function waitForReportedLeader(
  nodes: NodeProcess[],
  description: string,
  timeoutMs: number,
  aboveTerm = -1,
): Promise<ReportedStatus> {
  let agreed: ReportedStatus | undefined;
  try {
    await waitFor(
      () => {
        agreed = reportedAgreement(nodes, aboveTerm);
        return agreed !== undefined;
      },
      timeoutMs,
      description,
    );
  } catch (error) {
    const report = nodes.map((n) => ({ id: n.id, status: n.status, problems: n.problems }));
    throw new Error(`${(error as Error).message}\n${JSON.stringify(report, null, 2)}`);
  }
  return agreed!;
}
