import { quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { DiagEvent, ElectedEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { Violation } from './verdict.js';

/**
 * Raft elects at most one leader per term, and KV hands each fencing token to one holder,
 * across restarts too. For Raft the nodes' own `/diag` answers are checked as well.
 */
export function checkTerms(index: HistoryIndex): Violation[] {
  const { protocol } = index.history;
  if (protocol !== 'raft' && protocol !== 'kv') return [];
  const out: Violation[] = [];
  const termOf = (e: ElectedEvent) => (protocol === 'raft' ? e.term : e.token);
  const what = protocol === 'raft' ? 'term' : 'token';
  const electedIn = new Map<number, ElectedEvent>();
  const flagged = new Set<string>();
  for (const e of index.of('elected')) {
    const term = termOf(e);
    if (term === null) continue;
    const first = electedIn.get(term);
    if (first === undefined) electedIn.set(term, e);
    else if (first.node !== e.node && !flagged.has(`${term}:${e.node}`)) {
      flagged.add(`${term}:${e.node}`);
      out.push(
        finding(
          index,
          'two-leaders-one-term',
          `${quoteEvent(e)} after ${quoteEvent(first)}: two leaders in ${what} ${term}`,
          [first, e],
          e.at,
        ),
      );
    }
  }
  if (protocol !== 'raft') return out;

  const leaderIn = new Map<number, DiagEvent>();
  for (const d of index.of('diag')) {
    if (!d.reachable || d.isLeader !== true || d.term === null || d.term === undefined) continue;
    const first = leaderIn.get(d.term);
    if (first === undefined) leaderIn.set(d.term, d);
    else if (first.node !== d.node && !flagged.has(`${d.term}:${d.node}`)) {
      flagged.add(`${d.term}:${d.node}`);
      out.push(
        finding(
          index,
          'two-leaders-one-term',
          `${quoteEvent(d)} after ${quoteEvent(first)}: two nodes said they led term ${d.term}`,
          [first, d],
          d.at,
        ),
      );
    }
  }
  return out;
}
