import { httpTransport } from '../../transports/index.js';
import { createElection, type Election, type LesRefusal } from '../runtime/election.js';
import { type BuildHooks, wrapped } from './build-hooks.js';
import type { LogSink } from './change-log.js';
import { errorMessage } from './error-message.js';
import { type LesNodeConfig, lesNodeConfig } from './les-args.js';
import { LES_ONLY_FLAGS } from './node-flags.js';
import type { NodeProtocol } from './node-protocol.js';
import { UsageError } from './usage-error.js';

/** At most one line per refusal reason in this long; the rest are counted into the next. */
export const REFUSAL_LOG_INTERVAL_MS = 10_000;

const WHY: Record<LesRefusal['reason'], string> = {
  'not-allowed': 'outside --allow-members',
  'max-members': 'the member list is full (--max-members)',
};

/**
 * Writes refusals to `sink.err`, one line per reason at most every interval, saying how
 * many more were refused since the last line: a hostile peer naming thousands of addresses
 * must not flood the log.
 */
export function refusalLogger(
  id: string,
  sink: LogSink,
  now: () => number = Date.now,
): (refusal: LesRefusal) => void {
  const last = new Map<LesRefusal['reason'], { at: number; suppressed: number }>();
  return ({ address, reason }) => {
    const seen = last.get(reason);
    const t = now();
    if (seen !== undefined && t - seen.at < REFUSAL_LOG_INTERVAL_MS) {
      seen.suppressed++;
      return;
    }
    const more =
      seen !== undefined && seen.suppressed > 0 ? ` (${seen.suppressed} more since)` : '';
    last.set(reason, { at: t, suppressed: 0 });
    sink.err(`${new Date(t).toISOString()} ${id} refused member ${address}: ${WHY[reason]}${more}`);
  };
}

/** A LES member as the command line describes it; nothing runs until it is started. */
export function lesElection(
  config: LesNodeConfig,
  sink: LogSink,
  hooks: BuildHooks = {},
): Election {
  try {
    return createElection({
      protocol: 'les',
      id: config.id,
      seeds: config.seeds,
      loopMs: config.loopMs,
      allowMembers: config.allowMembers,
      maxMembers: config.maxMembers,
      allowAlone: config.alone,
      push: config.push,
      transport: wrapped(httpTransport({ listen: config.listen, push: config.push }), hooks),
      onRefused: refusalLogger(config.id, sink),
    });
  } catch (err) {
    // Everything the transport and createElection check comes from the command line.
    throw new UsageError(errorMessage(err));
  }
}

/** `--protocol les`, as `electorate node` runs it. */
export const lesNode: NodeProtocol<LesNodeConfig> = {
  flags: LES_ONLY_FLAGS,
  config: lesNodeConfig,
  build: lesElection,
};
