import net from 'node:net';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import type { InspectionEvent } from 'xstate';
import type { RaftMessage } from '../../machines/raft/messages.js';
import { faultLink } from '../../transports/fault-link.js';
import { parseArgs } from '../cli/args.js';
import { buildElection } from '../cli/node-command.js';
import { startDiagServer } from '../diag/diag-server.js';
import { type Election, LeadershipLostError } from '../runtime/election.js';
import type { ChaosEvent } from './history.js';
import { InboundDelay } from './inbound-delay.js';
import { monotonicMs } from './monotonic.js';

/**
 * One node of a fault run: an `electorate node` built from the same flags, whose leader work
 * is a loop under `whileLeader` that checks its signal, says so on stdout, and writes to
 * the fenced register. Everything it observes goes to stdout as one JSON line per event.
 */
export interface WorkerSpec {
  id: string;
  incarnation: number;
  /** `electorate node` flags. */
  nodeArgs: string[];
  /** HOST:PORT of the fenced register. */
  register: string;
  /** Pause between two steps of leader work. */
  stepMs: number;
}

type Emit = (event: Omit<ChaosEvent, 'node' | 'incarnation'> & Record<string, unknown>) => void;

/** A line-per-write client of the register; a lost connection is redialled on the next write. */
class RegisterClient {
  private socket: net.Socket | undefined;
  private buffered = '';
  private waiting: (() => void)[] = [];

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  async write(line: object, timeoutMs: number): Promise<void> {
    const socket = this.connect();
    const answered = new Promise<void>((resolve) => this.waiting.push(resolve));
    socket.write(`${JSON.stringify(line)}\n`);
    await Promise.race([answered, sleep(timeoutMs)]);
  }

  private connect(): net.Socket {
    if (this.socket !== undefined && !this.socket.destroyed) return this.socket;
    const socket = net.connect(this.port, this.host);
    socket.setNoDelay(true);
    socket.on('data', (chunk) => {
      this.buffered += chunk.toString();
      let nl = this.buffered.indexOf('\n');
      while (nl >= 0) {
        this.buffered = this.buffered.slice(nl + 1);
        this.waiting.shift()?.();
        nl = this.buffered.indexOf('\n');
      }
    });
    const reset = () => {
      if (this.socket === socket) this.socket = undefined;
      for (const resolve of this.waiting.splice(0)) resolve();
    };
    socket.on('error', reset);
    socket.on('close', reset);
    this.socket = socket;
    return socket;
  }
}

/** Votes this node grants, read as they are handed to the transport (after they are durable). */
function voteWatcher(emit: Emit) {
  return (event: InspectionEvent) => {
    if (event.type !== '@xstate.event') return;
    const e = event.event as { type?: string; to?: string; msg?: RaftMessage };
    if (e.type !== 'send' || e.msg?.type !== 'voteResponse' || !e.msg.granted) return;
    emit({ kind: 'vote', at: monotonicMs(), term: e.msg.term, candidate: String(e.to) });
  };
}

async function leaderLoop(
  election: Election,
  client: RegisterClient,
  spec: WorkerSpec,
  emit: Emit,
) {
  for (;;) {
    try {
      await election.whileLeader(async (signal) => {
        const status = election.status();
        const token =
          status.fencingToken ?? (status.protocol === 'raft' ? (status.term ?? null) : null);
        for (;;) {
          const t0 = monotonicMs();
          const aborted = signal.aborted;
          const t1 = monotonicMs();
          if (aborted) return;
          emit({ kind: 'claim', t0, t1, token });
          await client.write({ node: spec.id, incarnation: spec.incarnation, token }, 1000);
          await sleep(spec.stepMs);
        }
      });
    } catch (err) {
      if (!(err instanceof LeadershipLostError)) throw err;
      if (err.reason === 'stopped') return;
    }
  }
}

async function runWorker(spec: WorkerSpec): Promise<void> {
  // The run that reads this stdout is gone: nobody will ever stop this worker but itself.
  process.stdout.on('error', () => process.exit(1));
  const write = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);
  const emit: Emit = (event) => write({ ...event, node: spec.id, incarnation: spec.incarnation });
  const command = parseArgs(['node', ...spec.nodeArgs]);
  if (command.command !== 'node') throw new Error('worker needs node flags');
  const { config } = command;
  const sink = { out: () => {}, err: (line: string) => process.stderr.write(`${line}\n`) };
  const delay = new InboundDelay();
  const election = buildElection(config, sink, {
    inspect: voteWatcher(emit),
    wrapTransport: (transport) => faultLink(transport, delay),
  });
  obeyControl(delay, emit);
  election.on('elected', ({ term, fencingToken }) =>
    emit({ kind: 'elected', at: monotonicMs(), term: term ?? null, token: fencingToken ?? null }),
  );
  election.on('deposed', ({ term, reason }) =>
    emit({ kind: 'deposed', at: monotonicMs(), term: term ?? null, reason }),
  );
  election.on('error', (error) =>
    emit({ kind: 'error', at: monotonicMs(), message: error.message }),
  );
  const [host, port] = splitHostPort(spec.register);
  const client = new RegisterClient(host, port);
  await election.start();
  const http = config.http;
  const diag = http === undefined ? undefined : await startDiagServer(election, { listen: http });
  emit({ kind: 'process', at: monotonicMs(), what: 'ready' });
  const rss = setInterval(() => emit(memorySample()), 1000);
  const work = leaderLoop(election, client, spec, emit);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  clearInterval(rss);
  await election.stop();
  await work;
  await diag?.close();
}

function splitHostPort(text: string): [string, number] {
  const at = text.lastIndexOf(':');
  return [text.slice(0, at), Number(text.slice(at + 1))];
}

// Run as a process by the fault run, with its spec as the only argument.
runWorker(JSON.parse(process.argv[2] ?? '{}') as WorkerSpec).then(
  () => process.exit(0),
  (err: Error) => {
    process.stderr.write(`worker: ${err.stack ?? err.message}\n`);
    process.exit(1);
  },
);

let samples = 0;

/** RSS every second; every tenth time also the heap left after a full collection. */
function memorySample(): Parameters<Emit>[0] {
  const at = monotonicMs();
  const bytes = process.memoryUsage.rss();
  const collect = (globalThis as { gc?: () => void }).gc;
  if (samples++ % 10 !== 0 || collect === undefined) return { kind: 'rss', at, bytes };
  collect();
  return { kind: 'rss', at, bytes, heapBytes: process.memoryUsage().heapUsed };
}

/**
 * The run steers what signals cannot through this worker's stdin, one JSON line per
 * command: `{"delay": MS}` makes everything it receives from peers wait that long (0 heals).
 */
function obeyControl(delay: InboundDelay, emit: Emit): void {
  createInterface({ input: process.stdin }).on('line', (line) => {
    try {
      const command = JSON.parse(line) as { delay?: unknown };
      if (typeof command.delay === 'number') delay.set(command.delay);
    } catch (err) {
      emit({ kind: 'error', at: monotonicMs(), message: `control: ${(err as Error).message}` });
    }
  });
}
