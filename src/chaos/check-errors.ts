import { quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { HistoryIndex } from './history-index.js';
import type { Violation } from './verdict.js';

export interface ErrorFindings {
  violations: Violation[];
  errorsByNode: Record<string, number>;
}

/**
 * A node whose disk fails must say so as an 'error' event once it has something to write,
 * and must not vote while it cannot persist the vote.
 */
export function checkErrors(index: HistoryIndex): ErrorFindings {
  const errors = index.of('error');
  const errorsByNode: Record<string, number> = {};
  for (const node of index.history.nodes) errorsByNode[node] = 0;
  for (const e of errors) errorsByNode[e.node] = (errorsByNode[e.node] ?? 0) + 1;

  const violations: Violation[] = [];
  for (const f of index.of('fault')) {
    if (f.nemesis !== 'disk') continue;
    const end = index.faultEnd(f);
    const inside = (node: string, at: number, n: string) =>
      n === node && at >= f.start && at <= end;
    // A node writes only when its term or vote changes: a failed disk shows only once a
    // new term begins while it is full (some node elected inside the window).
    const termChanged = index.of('elected').some((e) => e.at >= f.start && e.at <= end);
    for (const node of f.targets) {
      if (termChanged && !errors.some((e) => inside(node, e.at, e.node))) {
        violations.push(
          finding(
            index,
            'disk-error-unreported',
            `${quoteEvent(f)}: ${node} reported no error while its disk failed`,
            [f],
            f.start,
            [node],
          ),
        );
      }
      for (const v of index.of('vote').filter((v) => inside(node, v.at, v.node))) {
        violations.push(
          finding(
            index,
            'voted-without-disk',
            `${quoteEvent(v)} during ${quoteEvent(f)}: a vote it could not persist`,
            [f, v],
            v.at,
          ),
        );
      }
    }
  }
  return { violations, errorsByNode };
}
