import { firstAgreement, latestDiags } from './agreement.js';
import { ms, quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { HistoryIndex } from './history-index.js';
import type { ChaosStats, Violation } from './verdict.js';

export interface RecoveryFindings {
  violations: Violation[];
  recovery: ChaosStats['recovery'];
}

/**
 * After the last heal (or from the start of a run without faults) the cluster must settle on
 * one leader that is working, within the run's recovery bound.
 */
export function checkRecovery(index: HistoryIndex): RecoveryFindings {
  const { history } = index;
  const faults = index.of('fault');
  if (faults.some((f) => f.end === null)) return { violations: [], recovery: null };
  const last = faults.reduce<(typeof faults)[number] | null>(
    (a, f) => (a === null || f.end! > a.end! ? f : a),
    null,
  );
  const from = last?.end ?? history.start;
  const bound = history.timing.recoveryBoundMs;
  const until = from + bound;
  const agreed = firstAgreement(index, from, until);
  if (agreed !== null) {
    return { violations: [], recovery: { from, agreedAt: agreed.at, leader: agreed.leader } };
  }
  const diags = [...latestDiags(index, Math.min(until, history.end)).values()];
  const after = last === null ? 'the start of the run' : quoteEvent(last);
  const short = history.end < until ? ` (the run ended ${ms(history.end - from)} ms after it)` : '';
  const seen = diags.length > 0 ? diags.map(quoteEvent).join('; ') : 'no /diag answer at all';
  return {
    violations: [
      finding(
        index,
        'no-recovery',
        `no agreed, claiming leader within ${bound} ms of ${after}${short}; last answers: ${seen}`,
        [...(last === null ? [] : [last]), ...diags],
        Math.min(until, history.end),
      ),
    ],
    recovery: { from, agreedAt: null, leader: null },
  };
}
