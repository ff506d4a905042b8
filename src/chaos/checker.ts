import { Availability } from './availability.js';
import { checkErrors } from './check-errors.js';
import { checkFencing } from './check-fencing.js';
import { checkMemory } from './check-memory.js';
import { checkOverlap } from './check-overlap.js';
import { checkRecovery } from './check-recovery.js';
import { checkTerms } from './check-terms.js';
import { checkVotes } from './check-votes.js';
import { faultStats } from './fault-stats.js';
import type { ChaosHistory } from './history.js';
import { HistoryIndex } from './history-index.js';
import { tenuresOf } from './tenures.js';
import type { ChaosVerdict } from './verdict.js';

/** Judge a recorded fault run against what its protocol promises. Pure: no clock, no I/O. */
export function checkHistory(history: ChaosHistory): ChaosVerdict {
  const index = new HistoryIndex(history);
  const claims = index.of('claim');
  const writes = index.of('write');
  const tenures = tenuresOf(index);
  const availability = new Availability(
    claims,
    tenures,
    history.timing.leaseMs ?? history.timing.recoveryBoundMs,
  );

  const overlap = checkOverlap(index, tenures);
  const votes = checkVotes(index);
  const recovery = checkRecovery(index);
  const memory = checkMemory(index);
  const errors = checkErrors(index);
  const violations = [
    ...overlap.violations,
    ...checkFencing(index),
    ...checkTerms(index),
    ...votes.violations,
    ...recovery.violations,
    ...memory.violations,
    ...errors.violations,
  ].sort((a, b) => a.at - b.at);

  return {
    ok: violations.length === 0,
    violations,
    notPromised: overlap.notPromised,
    stats: {
      durationMs: history.end - history.start,
      claims: claims.length,
      tenures: tenures.length,
      resolutionMs: claims.reduce((m, c) => Math.max(m, c.t1 - c.t0), 0),
      medianClaimSpacingMs: availability.medianSpacingMs,
      gapThresholdMs: availability.thresholdMs,
      writes: {
        accepted: writes.filter((w) => w.accepted).length,
        rejected: writes.filter((w) => !w.accepted).length,
      },
      errorsByNode: errors.errorsByNode,
      faults: faultStats(index, tenures, availability),
      unavailableMs: availability.unavailableMs(history.start, history.end),
      recovery: recovery.recovery,
      memory: memory.memory,
      wipedRestarts: votes.wipedRestarts,
    },
  };
}
