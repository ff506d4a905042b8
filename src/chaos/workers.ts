import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ChaosEvent } from './history.js';
import { monotonicMs } from './monotonic.js';
import type { WorkerSpec } from './worker.js';

const WORKER = fileURLToPath(new URL('./worker.js', import.meta.url));
const FAKETIME_LIBRARY = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';

export interface WorkerNode {
  id: string;
  netns: string;
  nodeArgs: string[];
  /** libfaketime's offset file, when this node's wall clock may be moved. */
  clockFile?: string;
}

interface Running {
  child: ChildProcess;
  exited: Promise<number | null>;
  stderr: string;
}

/**
 * The nodes' worker processes, each started in its node's namespace. Their stdout lines
 * become history events; a worker is only ever signalled by the pid this class started.
 */
export class WorkerSet {
  private readonly running = new Map<string, Running>();
  private readonly incarnations = new Map<string, number>();

  constructor(
    private readonly nodes: readonly WorkerNode[],
    private readonly register: string,
    private readonly record: (event: ChaosEvent) => void,
  ) {}

  isUp(id: string): boolean {
    return this.running.has(id);
  }

  pid(id: string): number | undefined {
    return this.running.get(id)?.child.pid;
  }

  start(id: string, data: 'fresh' | 'kept' | 'wiped'): void {
    const node = this.nodes.find((n) => n.id === id);
    if (node === undefined || this.running.has(id)) return;
    const incarnation = (this.incarnations.get(id) ?? -1) + 1;
    this.incarnations.set(id, incarnation);
    const spec: WorkerSpec = {
      id,
      incarnation,
      nodeArgs: node.nodeArgs,
      register: this.register,
      stepMs: 10,
    };
    const env: NodeJS.ProcessEnv = { ...process.env };
    if (node.clockFile !== undefined) {
      Object.assign(env, {
        LD_PRELOAD: FAKETIME_LIBRARY,
        FAKETIME_TIMESTAMP_FILE: node.clockFile,
        FAKETIME_NO_CACHE: '1',
        // The point of the clock fault: wall time jumps, the monotonic clock does not.
        FAKETIME_DONT_FAKE_MONOTONIC: '1',
      });
    }
    const child = spawn(
      'ip',
      // --expose-gc: the memory samples measure the heap after a full collection.
      ['netns', 'exec', node.netns, process.execPath, '--expose-gc', WORKER, JSON.stringify(spec)],
      { stdio: ['pipe', 'pipe', 'pipe'], env },
    );
    // A worker killed mid-write closes its end: that is the kill, not an error of the run.
    child.stdin!.on('error', () => undefined);
    const entry: Running = {
      child,
      stderr: '',
      exited: new Promise((resolve) => child.once('exit', (code) => resolve(code))),
    };
    this.running.set(id, entry);
    this.record({ kind: 'process', node: id, incarnation, at: monotonicMs(), what: 'start', data });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      try {
        this.record(JSON.parse(line) as ChaosEvent);
      } catch {
        // A worker writes only JSON lines; anything else is not an event.
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => {
      entry.stderr = (entry.stderr + chunk.toString()).slice(-4000);
    });
    void entry.exited.then(() => {
      if (this.running.get(id) === entry) this.running.delete(id);
      this.record({ kind: 'process', node: id, incarnation, at: monotonicMs(), what: 'exit' });
    });
  }

  /** The last words of a node's current or latest worker, for a failure message. */
  stderrOf(id: string): string {
    return this.running.get(id)?.stderr ?? '';
  }

  /**
   * Makes everything the worker receives from its peers wait `ms` (0: no longer). A worker
   * that is down has nothing to delay, and one started later starts without a delay.
   */
  delay(id: string, ms: number): void {
    const stdin = this.running.get(id)?.child.stdin;
    if (stdin?.writable) stdin.write(`${JSON.stringify({ delay: ms })}\n`);
  }

  signal(id: string, what: 'stop' | 'cont'): void {
    const pid = this.pid(id);
    if (pid === undefined) return;
    process.kill(pid, what === 'stop' ? 'SIGSTOP' : 'SIGCONT');
    this.record({
      kind: 'process',
      node: id,
      incarnation: this.incarnations.get(id) ?? 0,
      at: monotonicMs(),
      what,
    });
  }

  /** SIGKILL, as a crash; or SIGTERM first (graceful), killed if it does not exit in time. */
  async end(id: string, how: 'kill' | 'term'): Promise<void> {
    const entry = this.running.get(id);
    const pid = entry?.child.pid;
    if (entry === undefined || pid === undefined) return;
    if (how === 'kill') {
      this.record({
        kind: 'process',
        node: id,
        incarnation: this.incarnations.get(id) ?? 0,
        at: monotonicMs(),
        what: 'kill',
      });
    }
    process.kill(pid, 'SIGCONT');
    process.kill(pid, how === 'kill' ? 'SIGKILL' : 'SIGTERM');
    const ended = await Promise.race([entry.exited.then(() => true), sleep(8000, false)]);
    if (!ended) {
      process.kill(pid, 'SIGKILL');
      await entry.exited;
    }
  }

  async endAll(how: 'kill' | 'term'): Promise<void> {
    await Promise.all([...this.running.keys()].map((id) => this.end(id, how)));
  }
}
