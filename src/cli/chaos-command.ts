import { runChaos } from '../chaos/run.js';
import type { LogSink } from './change-log.js';
import type { ChaosConfig } from './chaos-args.js';
import { errorMessage } from './error-message.js';

/** Runs one fault run; exit 0 when the checker finds nothing, 1 on a violation or failure. */
export async function runChaosCommand(config: ChaosConfig, sink: LogSink): Promise<number> {
  const seed = config.seed ?? Math.floor(Math.random() * 2 ** 31);
  const abort = new AbortController();
  const interrupt = () => abort.abort();
  process.once('SIGINT', interrupt);
  process.once('SIGTERM', interrupt);
  try {
    const result = await runChaos({
      protocol: config.protocol,
      ...(config.store === undefined ? {} : { store: config.store }),
      nodes: config.nodes,
      ...(config.seconds === undefined ? {} : { seconds: config.seconds }),
      ...(config.faults === undefined ? {} : { faults: config.faults }),
      seed,
      nemeses: config.nemeses,
      outDir: config.out,
      log: (line) => sink.err(line),
      signal: abort.signal,
    });
    sink.out(result.summary);
    sink.out(`report: ${result.reportFile}`);
    const { violations } = result.verdict;
    if (violations.length > 0) {
      for (const v of violations) sink.err(`violation ${v.rule}: ${v.message}`);
      sink.err(
        `electorate chaos: ${violations.length} violation(s) with --seed ${seed}; run again with --seed ${seed} to replay the schedule`,
      );
      return 1;
    }
    return abort.signal.aborted ? 130 : 0;
  } catch (err) {
    sink.err(`electorate chaos: ${errorMessage(err)} (seed ${seed})`);
    return 1;
  } finally {
    process.off('SIGINT', interrupt);
    process.off('SIGTERM', interrupt);
  }
}
