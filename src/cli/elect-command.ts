import { ElectionInputError, electLeaders } from '../entropy/index.js';
import type { LogSink } from './change-log.js';
import type { ElectConfig } from './elect-args.js';
import { UsageError } from './usage-error.js';

/** Prints the elected leaders as one JSON array; bad input is a usage error (exit 2). */
export function runElect(config: ElectConfig, sink: LogSink): number {
  let leaders: string[];
  try {
    leaders = electLeaders(config.peers, config.leaders, config.entropy, {
      strategy: config.strategy,
    });
  } catch (err) {
    // Every input to the election came from the command line.
    if (err instanceof ElectionInputError) throw new UsageError(err.message);
    throw err;
  }
  sink.out(JSON.stringify(leaders));
  return 0;
}
