import type { ChangeEvent, Election } from '../runtime/election.js';
import { errorMessage } from './error-message.js';
import type { LogFormat } from './node-flags.js';

export interface LogSink {
  out(line: string): void;
  err(line: string): void;
}

/** Writes lines to the process's stdout and stderr. */
export const processSink: LogSink = {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(`${line}\n`),
};

export interface ChangeLogOptions {
  /** Also name where to reach the leader and its pid (Bully). */
  leaderDetails?: boolean;
}

/**
 * One line per change: `TIME ID leader=L term=T role=R`, or the same as a JSON object. With
 * `leaderDetails`, `leaderAddress=A leaderPid=P` follow the leader ('-' while there is none).
 */
export function formatChange(
  format: Exclude<LogFormat, 'none'>,
  time: Date,
  id: string,
  change: ChangeEvent,
  options: ChangeLogOptions = {},
): string {
  const details = options.leaderDetails === true;
  if (format === 'json') {
    return JSON.stringify({
      time: time.toISOString(),
      id,
      role: change.role,
      leader: change.leader,
      ...(details
        ? { leaderAddress: change.leaderAddress ?? null, leaderPid: change.leaderPid ?? null }
        : {}),
      term: change.term ?? null,
      isLeader: change.isLeader,
    });
  }
  const where = details
    ? ` leaderAddress=${change.leaderAddress ?? '-'} leaderPid=${change.leaderPid ?? '-'}`
    : '';
  // A leader without a lease must not look like one that may act: say so on the line.
  const lease = change.role === 'leader' && !change.isLeader ? ' lease=none' : '';
  return `${time.toISOString()} ${id} leader=${change.leader ?? '-'}${where} term=${change.term ?? '-'} role=${change.role}${lease}`;
}

export function formatError(
  format: Exclude<LogFormat, 'none'>,
  time: Date,
  id: string,
  error: unknown,
): string {
  const message = errorMessage(error);
  if (format === 'json') return JSON.stringify({ time: time.toISOString(), id, error: message });
  return `${time.toISOString()} ${id} error: ${message}`;
}

/**
 * Logs an election's changes to `sink.out` and its errors to `sink.err`. Errors are
 * written even with `--log none`: silence is for the routine, not for failures.
 */
export function logElection(
  election: Pick<Election, 'on'>,
  id: string,
  format: LogFormat,
  sink: LogSink,
  options: ChangeLogOptions = {},
): void {
  const lineFormat = format === 'none' ? 'text' : format;
  if (format !== 'none') {
    election.on('change', (change) =>
      sink.out(formatChange(lineFormat, new Date(), id, change, options)),
    );
  }
  election.on('error', (error) => sink.err(formatError(lineFormat, new Date(), id, error)));
}
