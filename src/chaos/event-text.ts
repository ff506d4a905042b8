import type { ChaosEvent } from './history.js';

/** Milliseconds as the history holds them, to a tenth. */
export const ms = (t: number): string => (Math.round(t * 10) / 10).toFixed(1);

const tokenText = (token: number | null): string =>
  token === null ? 'no token' : `token ${token}`;

/** One event in one line, as violations quote it: `n2#1 claim [1234.5, 1234.9] token 7`. */
export function quoteEvent(e: ChaosEvent): string {
  switch (e.kind) {
    case 'claim':
      return `${e.node}#${e.incarnation} claim [${ms(e.t0)}, ${ms(e.t1)}] ${tokenText(e.token)}`;
    case 'elected':
      return `${e.node}#${e.incarnation} elected at ${ms(e.at)} term ${e.term ?? '-'} ${tokenText(e.token)}`;
    case 'deposed':
      return `${e.node}#${e.incarnation} deposed at ${ms(e.at)} term ${e.term ?? '-'} (${e.reason})`;
    case 'write':
      return (
        `${e.node}#${e.incarnation} write at ${ms(e.at)} ${tokenText(e.token)} ` +
        `${e.accepted ? 'accepted' : 'rejected'} (newest ${e.newest ?? 'none'})`
      );
    case 'vote':
      return `${e.node}#${e.incarnation} vote at ${ms(e.at)} term ${e.term} for ${e.candidate}`;
    case 'diag':
      return e.reachable
        ? `${e.node} diag at ${ms(e.at)} role ${e.role ?? '-'} leader ${e.leader ?? 'none'} ` +
            `term ${e.term ?? '-'}${e.isLeader ? ' isLeader' : ''}`
        : `${e.node} diag at ${ms(e.at)} unreachable`;
    case 'error':
      return `${e.node}#${e.incarnation} error at ${ms(e.at)}: ${e.message}`;
    case 'fault':
      return (
        `fault #${e.id} ${e.nemesis} ${e.variant} on [${e.targets.join(', ')}] ` +
        `[${ms(e.start)}, ${e.end === null ? 'end of run' : ms(e.end)}]`
      );
    case 'process':
      return `${e.node}#${e.incarnation} ${e.what}${e.data ? ` (${e.data})` : ''} at ${ms(e.at)}`;
    case 'rss':
      return e.heapBytes === undefined
        ? `${e.node}#${e.incarnation} rss ${(e.bytes / 1048576).toFixed(1)} MB at ${ms(e.at)}`
        : `${e.node}#${e.incarnation} rss ${(e.bytes / 1048576).toFixed(1)} MB, heap ${(e.heapBytes / 1048576).toFixed(1)} MB at ${ms(e.at)}`;
  }
}

/** When an event happened, for ordering and for the timeline. */
export function eventTime(e: ChaosEvent): number {
  switch (e.kind) {
    case 'claim':
      return e.t0;
    case 'fault':
      return e.start;
    default:
      return e.at;
  }
}
