import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { waitFor } from './wait-for.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CLI = join(ROOT, 'bin', 'electorate.js');
const BUILT_MAIN = join(ROOT, 'dist', 'src', 'cli', 'main.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The CLI runs from dist/. `npm test` builds first; a direct vitest run might not have, so
 * a missing or stale build is rebuilt here rather than testing yesterday's code.
 */
export function ensureBuilt(): void {
  let built = 0;
  try {
    built = statSync(BUILT_MAIN).mtimeMs;
  } catch {}
  const sources = Math.max(
    ...['machines', 'transports', 'src'].map((d) => newestSource(join(ROOT, d))),
  );
  if (built >= sources) return;
  const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  execFileSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'pipe' });
}

/** A spawned `electorate` process with everything it wrote. */
export interface CliProcess {
  readonly child: ChildProcess;
  readonly pid: number;
  stdout: string;
  stderr: string;
  /** Exit code, or null while running (or when killed by a signal). */
  code: number | null;
  exited: boolean;
  /** Resolves when the process has exited. */
  readonly done: Promise<void>;
  lines(): string[];
}

const running = new Set<CliProcess>();

export function startCli(args: string[]): CliProcess {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (child.pid === undefined) throw new Error('could not spawn electorate');
  const proc: CliProcess = {
    child,
    pid: child.pid,
    stdout: '',
    stderr: '',
    code: null,
    exited: false,
    done: new Promise((resolve) => {
      // 'close' rather than 'exit': it comes once stdout and stderr are drained too.
      child.once('close', (code) => {
        proc.code = code;
        proc.exited = true;
        running.delete(proc);
        resolve();
      });
    }),
    lines: () => proc.stdout.split('\n').filter((l) => l !== ''),
  };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    proc.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    proc.stderr += chunk;
  });
  running.add(proc);
  return proc;
}

/** Runs the CLI to completion (bounded) and returns the finished process. */
export async function runCli(args: string[], timeoutMs = 10_000): Promise<CliProcess> {
  const proc = startCli(args);
  await waitFor(() => proc.exited, timeoutMs, `electorate ${args.join(' ')} to exit`);
  return proc;
}

/** SIGKILLs, by PID, every process these helpers spawned that is still running. */
export async function killSpawned(): Promise<void> {
  const left = [...running];
  for (const proc of left) {
    try {
      process.kill(proc.pid, 'SIGKILL');
    } catch {}
  }
  await Promise.all(left.map((p) => p.done));
}

/**
 * `electorate node` arguments for member `index` of a Raft cluster on loopback: every member
 * listens on its port in `peerPorts`, and serves `--http` on `httpPort` when given.
 */
export function raftMemberArgs(
  ids: readonly string[],
  index: number,
  peerPorts: readonly number[],
  httpPort?: number,
): string[] {
  const peers = ids.map((id, i) => `${id}=127.0.0.1:${peerPorts[i]}`).join(',');
  return [
    'node',
    '--protocol',
    'raft',
    '--id',
    ids[index]!,
    '--listen',
    `127.0.0.1:${peerPorts[index]}`,
    '--peers',
    peers,
    ...(httpPort === undefined ? [] : ['--http', `127.0.0.1:${httpPort}`]),
  ];
}

/** `electorate node` arguments for a KV candidate `id` contending for `key` at `storeUrl`. */
export function kvMemberArgs(id: string, storeUrl: string, key: string): string[] {
  return ['node', '--protocol', 'kv', '--id', id, '--store', storeUrl, '--key', key];
}
