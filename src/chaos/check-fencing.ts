import { quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { WriteEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { Violation } from './verdict.js';

/**
 * The fenced register, in the order it received writes: accepted tokens never go down, one
 * token belongs to one node, and a write older than the newest it had seen is refused.
 */
export function checkFencing(index: HistoryIndex): Violation[] {
  const out: Violation[] = [];
  let highest: WriteEvent | null = null;
  const ownerOf = new Map<number, WriteEvent>();
  const sharedReported = new Set<string>();
  for (const w of index.of('write')) {
    if (!w.accepted || w.token === null) continue;
    const stale = w.newest !== null && w.token < w.newest;
    if (stale) {
      out.push(
        finding(
          index,
          'stale-write-accepted',
          `${quoteEvent(w)}: the register accepted token ${w.token} after it had accepted ${w.newest}`,
          [w],
          w.at,
        ),
      );
    } else if (highest !== null && highest.token !== null && w.token < highest.token) {
      // The register's own `newest` missed it, but the history shows the order.
      out.push(
        finding(
          index,
          'token-regressed',
          `${quoteEvent(w)} went backwards after ${quoteEvent(highest)}`,
          [highest, w],
          w.at,
        ),
      );
    }
    if (highest === null || highest.token === null || w.token > highest.token) highest = w;

    const owner = ownerOf.get(w.token);
    if (owner === undefined) ownerOf.set(w.token, w);
    else if (owner.node !== w.node && !sharedReported.has(`${w.token}:${w.node}`)) {
      sharedReported.add(`${w.token}:${w.node}`);
      out.push(
        finding(
          index,
          'token-shared',
          `${quoteEvent(w)} and ${quoteEvent(owner)}: two nodes wrote with token ${w.token}`,
          [owner, w],
          w.at,
        ),
      );
    }
  }
  return out;
}
