import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { ChaosEvent, ChaosHistory, ChaosProtocol, DiagEvent, FaultEvent } from './history.js';
import { monotonicMs } from './monotonic.js';
import { applyFault, type NemesisTarget } from './nemesis.js';
import type { FaultPlan } from './schedule.js';
import { ChaosStore, type ChaosStoreKind } from './stores.js';
import { WorkerSet } from './workers.js';

/**
 * The part of a fault run that lives inside the hub namespace, where every node, the
 * register and the store can be reached: it starts them, polls every node's `/diag`,
 * applies the schedule, and writes the history. The tool outside built the namespaces and
 * reads the history back.
 */
export interface LabRunSpec {
  protocol: ChaosProtocol;
  store?: ChaosStoreKind;
  seed: number;
  plans: FaultPlan[];
  outDir: string;
  nodes: NemesisTarget[];
  controlAddress: string;
  storeAddress: string;
  timing: ChaosHistory['timing'];
  /** `electorate node` timing flags for the protocol. */
  timingArgs: string[];
}

const RAFT_PORT = 7000;
const LES_PORT = 4000;
const HTTP_PORT = 8000;
const REGISTER_PORT = 7900;
const BULLY_GROUP = '239.255.77.77:9999';
const POLL_MS = 100;

/** The id a node goes by in its own protocol (LES members are named by their address). */
export function chaosNodeId(protocol: ChaosProtocol, index: number, address: string): string {
  return protocol === 'les' ? `${address}:${LES_PORT}` : `n${index + 1}`;
}

function nodeArgs(spec: LabRunSpec, node: NemesisTarget, storeUrl: string | undefined): string[] {
  const http = ['--http', `${node.address}:${HTTP_PORT}`, '--log', 'none'];
  switch (spec.protocol) {
    case 'raft':
      return [
        ...['--protocol', 'raft', '--id', node.id, '--listen', `${node.address}:${RAFT_PORT}`],
        ...['--peers', spec.nodes.map((n) => `${n.id}=${n.address}:${RAFT_PORT}`).join(',')],
        ...(node.dataDir === undefined ? [] : ['--data-dir', node.dataDir]),
        ...spec.timingArgs,
        ...http,
      ];
    case 'bully':
      return [
        ...['--protocol', 'bully', '--id', node.id, '--pid', String(spec.nodes.indexOf(node) + 1)],
        ...['--iface', node.address, '--group', BULLY_GROUP],
        ...spec.timingArgs,
        ...http,
      ];
    case 'les':
      return [
        ...['--protocol', 'les', '--advertise-addr', node.id],
        ...['--seeds', spec.nodes.map((n) => n.id).join(',')],
        ...['--bind-port', String(LES_PORT), '--bind-interface', node.address],
        ...spec.timingArgs,
        ...http,
      ];
    case 'kv':
      return [
        ...['--protocol', 'kv', '--id', node.id, '--key', 'chaos/leader'],
        ...['--store', storeUrl ?? ''],
        ...spec.timingArgs,
        ...http,
      ];
  }
}

async function pollDiag(node: NemesisTarget): Promise<DiagEvent> {
  const sent = monotonicMs();
  try {
    const res = await fetch(`http://${node.address}:${HTTP_PORT}/diag`, {
      signal: AbortSignal.timeout(400),
    });
    const doc = (await res.json()) as {
      role?: string;
      leader?: string | null;
      term?: number | null;
      isLeader?: boolean;
    };
    const at = (sent + monotonicMs()) / 2;
    return {
      kind: 'diag',
      node: node.id,
      at,
      reachable: true,
      role: String(doc.role),
      leader: doc.leader ?? null,
      term: doc.term ?? null,
      isLeader: doc.isLeader === true,
    };
  } catch {
    return { kind: 'diag', node: node.id, at: sent, reachable: false };
  }
}

export async function runInLab(
  spec: LabRunSpec,
  log: (line: string) => void,
): Promise<ChaosHistory> {
  const events: ChaosEvent[] = [];
  const record = (event: ChaosEvent) => events.push(event);
  const start = monotonicMs();

  const registerAt = `${spec.controlAddress}:${REGISTER_PORT}`;
  const register = spawn(
    process.execPath,
    [fileURLToPath(new URL('./register.js', import.meta.url)), registerAt],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const listening = new Promise<void>((resolve) => {
    createInterface({ input: register.stdout! }).on('line', (line) => {
      const event = JSON.parse(line) as ChaosEvent | { kind: 'listening' };
      if (event.kind === 'listening') resolve();
      else record(event);
    });
  });
  const registerExited = new Promise<void>((resolve) => register.once('exit', () => resolve()));
  await listening;

  let store: ChaosStore | undefined;
  if (spec.store !== undefined) {
    store = new ChaosStore(spec.store, spec.storeAddress, join(spec.outDir, 'store'));
    log(`starting ${spec.store} at ${store.url}`);
    await store.start();
    await store.ready();
  }

  const workers = new WorkerSet(
    spec.nodes.map((n) => ({
      id: n.id,
      netns: n.netns,
      nodeArgs: nodeArgs(spec, n, store?.url),
      ...(n.clockFile === undefined ? {} : { clockFile: n.clockFile }),
    })),
    registerAt,
    record,
  );
  const latest = new Map<string, DiagEvent>();
  let polling = true;
  const poller = (async () => {
    while (polling) {
      const next = sleep(POLL_MS);
      for (const d of await Promise.all(spec.nodes.map(pollDiag))) {
        record(d);
        latest.set(d.node, d);
      }
      await next;
    }
  })();
  const leader = () => {
    for (const d of latest.values()) if (d.reachable && d.isLeader) return d.node;
    return undefined;
  };

  try {
    for (const n of spec.nodes) workers.start(n.id, 'fresh');
    const deadline = monotonicMs() + 60_000;
    while (leader() === undefined) {
      if (monotonicMs() > deadline) {
        const why = spec.nodes.map(
          (n) => `${n.id}: ${workers.stderrOf(n.id).trim() || '(no output)'}`,
        );
        throw new Error(`no leader within 60 s of start\n${why.join('\n')}`);
      }
      await sleep(100);
    }
    log(`first leader ${leader()} after ${Math.round(monotonicMs() - start)} ms`);
    await sleep(2000);

    let id = 0;
    for (const plan of spec.plans) {
      id++;
      const at = monotonicMs();
      const applied = await applyFault(plan, {
        protocol: spec.protocol,
        nodes: spec.nodes,
        storeAddress: spec.storeAddress,
        workers,
        ...(store === undefined ? {} : { store }),
        leader,
        seed: spec.seed + id,
      });
      const fault: FaultEvent = {
        kind: 'fault',
        id,
        nemesis: applied.nemesis,
        variant: applied.variant,
        targets: applied.targets,
        start: at,
        end: null,
        networkLevel: applied.networkLevel,
      };
      record(fault);
      log(
        `fault ${id}/${spec.plans.length}: ${applied.nemesis} ${applied.variant} on ${applied.targets.join(' | ')} for ${plan.durationMs} ms`,
      );
      await sleep(plan.durationMs);
      await applied.heal();
      fault.end = monotonicMs();
      const last = id === spec.plans.length;
      await sleep(last ? Math.max(plan.gapMs, spec.timing.recoveryBoundMs + 1000) : plan.gapMs);
    }
    if (spec.plans.length === 0) await sleep(spec.timing.recoveryBoundMs);
  } finally {
    polling = false;
    await poller;
    await workers.endAll('term');
    register.kill('SIGTERM');
    await registerExited;
    await store?.stop();
  }
  const history: ChaosHistory = {
    protocol: spec.protocol,
    ...(spec.store === undefined ? {} : { store: spec.store }),
    ...(store?.version === undefined ? {} : { storeVersion: store.version }),
    seed: spec.seed,
    nodes: spec.nodes.map((n) => n.id),
    start,
    end: monotonicMs(),
    timing: spec.timing,
    events,
  };
  return history;
}
