import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { checkHistory } from './checker.js';
import type { ChaosHistory, ChaosProtocol, NemesisKind } from './history.js';
import { chaosNodeId, type LabRunSpec } from './lab-run.js';
import { CONTROL_ADDRESS, createLab, labUnavailable, STORE_ADDRESS } from './netns.js';
import { renderReport } from './report-html.js';
import { nemesesFor, planFaults } from './schedule.js';
import type { ChaosStoreKind } from './stores.js';
import { formatSummary } from './summary.js';
import type { ChaosVerdict } from './verdict.js';

/** Options of `runChaos` and `recordChaos`, as `electorate chaos` takes them. */
export interface ChaosOptions {
  protocol: ChaosProtocol;
  /** kv: which store to run. */
  store?: ChaosStoreKind;
  nodes?: number;
  /** Run for about this long, or inject this many faults (default 60 s). */
  seconds?: number;
  faults?: number;
  seed?: number;
  /** Default: every nemesis that applies to the protocol. */
  nemeses?: NemesisKind[];
  outDir: string;
  /** Progress lines. */
  log?: (line: string) => void;
  /** Ends the run early (a SIGINT): faults are healed, processes stopped, namespaces removed. */
  signal?: AbortSignal;
}

/** Timing flags each protocol runs with, and what they mean for the checker. */
export function chaosTiming(protocol: ChaosProtocol): {
  args: string[];
  staleMs: number;
  timing: ChaosHistory['timing'];
} {
  switch (protocol) {
    case 'raft':
      return {
        args: ['--heartbeat', '100', '--election-timeout', '500-1000'],
        staleMs: 450,
        timing: { recoveryBoundMs: 6000, leaseMs: 450 },
      };
    case 'bully':
      return {
        args: ['--announce', '100', '--leader-timeout', '500'],
        staleMs: 500,
        timing: { recoveryBoundMs: 6000, leaseMs: null },
      };
    case 'les':
      return {
        args: ['--loop-rate', '0.2'],
        staleMs: 1000,
        timing: { recoveryBoundMs: 8000, leaseMs: null },
      };
    case 'kv':
      return {
        args: ['--ttl', '2s'],
        staleMs: 2000,
        timing: { recoveryBoundMs: 15000, leaseMs: 2000 },
      };
  }
}

/**
 * Runs one fault run: builds the namespaces, runs the cluster and the schedule inside
 * them, and returns the history. Everything it created is removed before it returns,
 * whether the run passed, failed or was interrupted.
 */
export async function recordChaos(options: ChaosOptions): Promise<ChaosHistory> {
  const why = labUnavailable();
  if (why !== undefined) throw new Error(`electorate chaos: ${why}`);
  const { protocol } = options;
  if (protocol === 'kv' && options.store === undefined) throw new Error('a kv run needs a store');
  const count = options.nodes ?? 3;
  const seed = options.seed ?? Math.floor(Math.random() * 2 ** 31);
  const outDir = resolve(options.outDir);
  const log = options.log ?? (() => {});
  const { args, staleMs, timing } = chaosTiming(protocol);
  const nemeses = options.nemeses ?? nemesesFor(protocol);
  const plans = planFaults({
    seed,
    protocol,
    nemeses,
    ...(options.faults === undefined
      ? { seconds: options.seconds ?? 60 }
      : { faults: options.faults }),
    staleMs,
    storeCluster: options.store === 'etcd-cluster' || options.store === 'zookeeper-ensemble',
  });
  mkdirSync(outDir, { recursive: true });
  const work = join(outDir, 'run');
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });

  const ids = Array.from({ length: count }, (_, i) => `node${i + 1}`);
  const lab = createLab(ids);
  const mounts: string[] = [];
  try {
    const nodes = lab.nodes.map((n, i) => {
      const id = chaosNodeId(protocol, i, n.address);
      const target: LabRunSpec['nodes'][number] = { id, netns: n.netns, address: n.address };
      if (nemeses.includes('clock')) {
        target.clockFile = join(work, `clock-${i + 1}`);
        writeFileSync(target.clockFile, '+0\n');
      }
      if (protocol === 'raft') {
        // A tmpfs of its own, small enough to fill: the disk fault needs a full disk.
        target.dataDir = join(work, `data-${i + 1}`);
        mkdirSync(target.dataDir);
        execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k', 'tmpfs', target.dataDir]);
        mounts.push(target.dataDir);
      }
      return target;
    });
    const spec: LabRunSpec = {
      protocol,
      ...(options.store === undefined ? {} : { store: options.store }),
      seed,
      plans,
      outDir: work,
      nodes,
      controlAddress: CONTROL_ADDRESS,
      storeAddress: STORE_ADDRESS,
      timing,
      timingArgs: args,
    };
    const specFile = join(work, 'spec.json');
    writeFileSync(specFile, JSON.stringify(spec, null, 2));
    log(
      `seed ${seed}: ${protocol}${options.store ? ` on ${options.store}` : ''}, ${count} nodes, ${plans.length} faults`,
    );
    const inner = spawn(
      'ip',
      [
        'netns',
        'exec',
        lab.hub,
        process.execPath,
        fileURLToPath(new URL('./lab-process.js', import.meta.url)),
        specFile,
      ],
      { stdio: ['ignore', 'inherit', 'pipe'] },
    );
    let stderr = '';
    inner.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      stderr = (stderr + text).slice(-8000);
      for (const line of text.split('\n')) if (line.trim() !== '') log(line);
    });
    const stop = () => inner.kill('SIGTERM');
    options.signal?.addEventListener('abort', stop, { once: true });
    const code = await new Promise<number | null>((done) => inner.once('exit', (c) => done(c)));
    options.signal?.removeEventListener('abort', stop);
    if (code !== 0 && code !== 130)
      throw new Error(`the run inside the namespaces failed (exit ${code}):\n${stderr.trim()}`);
    return JSON.parse(readFileSync(join(work, 'history.json'), 'utf8')) as ChaosHistory;
  } finally {
    lab.teardown();
    for (const dir of mounts) {
      try {
        execFileSync('umount', ['-l', dir]);
      } catch {
        // Already gone with its namespace.
      }
    }
  }
}

/** What `runChaos` returns: the history, the checker's verdict and the summary printed. */
export interface ChaosResult {
  history: ChaosHistory;
  verdict: ChaosVerdict;
  summary: string;
  /** Where the report, the history and the verdict were written. */
  reportFile: string;
}

/**
 * A whole fault run: records it, checks the history, and writes `history.json`,
 * `verdict.json`, `summary.txt` and `report.html` into `outDir`.
 */
export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const history = await recordChaos(options);
  const verdict = checkHistory(history);
  const summary = formatSummary(history, verdict);
  const outDir = resolve(options.outDir);
  writeFileSync(join(outDir, 'history.json'), JSON.stringify(history));
  writeFileSync(join(outDir, 'verdict.json'), JSON.stringify(verdict, null, 2));
  writeFileSync(join(outDir, 'summary.txt'), `${summary}\n`);
  const reportFile = join(outDir, 'report.html');
  writeFileSync(reportFile, renderReport(history, verdict));
  return { history, verdict, summary, reportFile };
}
