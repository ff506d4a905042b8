import { readFileSync, writeFileSync } from 'node:fs';
import {
  counterexampleJson,
  defaultWorkers,
  formatSteps,
  MAX_THREADS,
  type ModelCheckResult,
  mermaidDiagram,
  modelCheck,
  PROTOCOL_MODELS,
  type Progress,
  type ProtocolModel,
  parseCounterexample,
  replay,
} from '../check/index.js';
import type { LogSink } from './change-log.js';
import type { CheckConfig } from './check-args.js';
import { errorMessage } from './error-message.js';
import { UsageError } from './usage-error.js';

export const DEFAULT_COUNTEREXAMPLE_FILE = 'electorate-counterexample.json';

export interface CheckIo {
  /** Progress goes to a terminal: one line, redrawn in place. */
  tty: boolean;
  /** Writes raw text to stderr (for the redrawn line). */
  writeErr(text: string): void;
}

const processIo: CheckIo = {
  tty: process.stderr.isTTY === true,
  writeErr: (text) => process.stderr.write(text),
};

const TTY_EVERY_MS = 250;
const LOG_EVERY_MS = 5000;

const count = (n: number) => n.toLocaleString('en-US');
/** A small probability as `2.1e-9`. */
const odds = (p: number) => (p === 0 ? '0' : p.toExponential(1));

/** Models by protocol name: the shipped ones, or others a caller (a test) supplies. */
export type ModelRegistry = Record<string, () => ProtocolModel>;

/** Explores a protocol's state space, or replays a counterexample; exit 0 ok, 1 violated. */
export function runCheck(
  config: CheckConfig,
  sink: LogSink,
  io: CheckIo = processIo,
  models: ModelRegistry = PROTOCOL_MODELS,
): number {
  const lookup = (name: string) => (Object.hasOwn(models, name) ? models[name]!() : undefined);
  return config.mode === 'replay'
    ? runReplay(config.file, sink, lookup)
    : runExplore(config, sink, io, lookup, models);
}

function runExplore(
  config: Extract<CheckConfig, { mode: 'explore' }>,
  sink: LogSink,
  io: CheckIo,
  lookup: (name: string) => ProtocolModel | undefined,
  models: ModelRegistry,
): number {
  const model = lookup(config.protocol);
  if (model === undefined) throw new UsageError(`no model of protocol ${config.protocol}`);
  // Some protocols (kv) are checked timed by default; for the rest a drift needs --timed.
  if (config.bounds.drift !== undefined && !(config.bounds.timed ?? model.defaults?.timed)) {
    throw new UsageError(`--drift needs --timed (${model.name} is checked untimed by default)`);
  }
  let last = 0;
  let drawn = false;
  const onProgress = (p: Progress) => {
    const now = performance.now();
    if (now - last < (io.tty ? TTY_EVERY_MS : LOG_EVERY_MS)) return;
    last = now;
    const line =
      `${model.name}: ${count(p.states)} states, ${count(Math.round(p.statesPerSecond))} states/s, ` +
      `queue ${count(p.queue)}, depth ${p.depth}, collision odds ${odds(p.collisionProbability)}`;
    if (io.tty) {
      io.writeErr(`\r\u001b[2K${line}`);
      drawn = true;
    } else sink.err(line);
  };
  let result: ModelCheckResult;
  try {
    // Threads need a shipped model, which each builds by name. A further thread costs a
    // second or so of start-up and memo: a search of millions of states earns it back many
    // times over, the default bounds' few seconds do not (see docs/model-checking.md). So,
    // unless asked: one thread at the default bounds, every core once a bound is raised.
    const shipped = models === PROTOCOL_MODELS;
    const raised = Object.keys(config.bounds).length > 0;
    const workers = shipped ? (config.workers ?? (raised ? defaultWorkers() : 1)) : 1;
    result = modelCheck(shipped && workers > 1 ? config.protocol : model, {
      ...config.bounds,
      onProgress,
      progressEvery: 10_000,
      workers: Math.min(workers, MAX_THREADS),
      ...(config.exact === true ? { reduce: false } : {}),
    });
  } catch (err) {
    if (err instanceof RangeError) throw new UsageError(err.message);
    throw err;
  } finally {
    if (drawn) io.writeErr('\r\u001b[2K');
  }
  const b = result.bounds;
  sink.out(
    `${model.name}: ${b.nodes} nodes, max term ${b.maxTerm}, max faults ${b.maxFaults}, ` +
      `max in flight ${b.maxInFlight}, ${b.timed ? `timed (drift ${b.drift})` : 'untimed'}` +
      `, ${result.reductions.length === 0 ? 'no reductions' : `reduced by ${result.reductions.join(', ')}`}` +
      `${result.workers > 1 ? `, ${result.workers} threads` : ''}`,
  );
  sink.out(
    `states ${count(result.states)}, transitions ${count(result.transitions)}, depth ${result.depth}, ` +
      `time ${(result.elapsedMs / 1000).toFixed(1)} s (${count(Math.round(result.statesPerSecond))} states/s), ` +
      `fingerprint collision odds ${odds(result.collisionProbability)}`,
  );
  const cex = result.counterexample;
  if (cex === undefined) {
    const names = model.invariants
      .filter((inv) => b.timed || inv.timedOnly !== true)
      .map((inv) => inv.name);
    sink.out(
      result.complete
        ? `result: ok, every invariant holds (${names.join('; ')}; no deadlock)`
        : `result: no violation in the states explored, but the search stopped at --max-states ${b.maxStates}`,
    );
    return 0;
  }
  const file = config.out ?? DEFAULT_COUNTEREXAMPLE_FILE;
  sink.out(`result: VIOLATED: ${cex.invariant}: ${cex.message}`);
  sink.out('');
  sink.out(`shortest path (${cex.steps.length} steps):`);
  sink.out(formatSteps(cex, model.describe));
  sink.out('');
  sink.out('```mermaid');
  sink.out(mermaidDiagram(cex, model.describe));
  sink.out('```');
  try {
    writeFileSync(file, counterexampleJson(cex));
    sink.out('');
    sink.out(
      `counterexample written to ${file}; replay it with: electorate check --replay ${file}`,
    );
  } catch (err) {
    sink.err(`electorate: could not write ${file}: ${errorMessage(err)}`);
  }
  return 1;
}

function runReplay(
  file: string,
  sink: LogSink,
  lookup: (name: string) => ProtocolModel | undefined,
): number {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`--replay: cannot read ${file}: ${errorMessage(err)}`);
  }
  let cex: ReturnType<typeof parseCounterexample>;
  try {
    cex = parseCounterexample(text);
  } catch (err) {
    throw new UsageError(`--replay: ${file}: ${errorMessage(err)}`);
  }
  const model = lookup(cex.protocol);
  if (model === undefined) {
    throw new UsageError(`--replay: ${file}: no model of protocol ${JSON.stringify(cex.protocol)}`);
  }
  const result = replay(model, cex);
  sink.out(`replaying ${cex.steps.length} steps of ${cex.protocol} in the simulator`);
  for (const line of result.log) sink.out(line);
  if (result.diverged !== undefined) {
    sink.out(`result: diverged: ${result.diverged}`);
    return 1;
  }
  if (result.invariant === undefined) {
    sink.out('result: no invariant broke');
    return 0;
  }
  sink.out(
    `result: ${result.reproduced ? 'reproduced' : 'a different violation'} at step ${result.steps}: ` +
      `${result.invariant}: ${result.message}`,
  );
  return 1;
}
