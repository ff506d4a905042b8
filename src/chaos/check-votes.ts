import { quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { VoteEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { Violation, WipedRestart } from './verdict.js';

export interface VoteFindings {
  violations: Violation[];
  wipedRestarts: WipedRestart[];
}

/**
 * A Raft node votes once per term for as long as its data directory survives. A restart
 * that wiped it forgets the votes, so its new votes are listed, not judged.
 */
export function checkVotes(index: HistoryIndex): VoteFindings {
  const out: VoteFindings = { violations: [], wipedRestarts: [] };
  if (index.history.protocol !== 'raft') return out;
  for (const node of index.history.nodes) {
    // The votes the node's current data directory remembers, and the ones before its wipes.
    let record = new Map<number, VoteEvent>();
    let forgotten = new Map<number, VoteEvent>();
    let wipe: WipedRestart | null = null;
    const events = [
      ...index.of('process').filter((p) => p.node === node && p.what === 'start'),
      ...index.of('vote').filter((v) => v.node === node),
    ].sort((a, b) => a.at - b.at);
    for (const e of events) {
      if (e.kind === 'process') {
        const fresh = e.data === 'wiped' || (e.data === 'fresh' && e.incarnation > 0);
        if (!fresh) continue;
        forgotten = new Map([...forgotten, ...record]);
        record = new Map();
        wipe = { node, incarnation: e.incarnation, at: e.at, revotes: [] };
        out.wipedRestarts.push(wipe);
        continue;
      }
      const earlier = record.get(e.term);
      if (earlier === undefined) {
        record.set(e.term, e);
        const before = forgotten.get(e.term);
        if (wipe !== null && before !== undefined && before.candidate !== e.candidate) {
          wipe.revotes.push(`${quoteEvent(e)} after ${quoteEvent(before)}`);
        }
      } else if (earlier.candidate !== e.candidate) {
        out.violations.push(
          finding(
            index,
            'double-vote',
            `${quoteEvent(e)} after ${quoteEvent(earlier)}: two votes in term ${e.term}`,
            [earlier, e],
            e.at,
          ),
        );
      }
    }
  }
  return out;
}
