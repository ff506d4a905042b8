import { firstAgreement } from './agreement.js';
import type { Availability } from './availability.js';
import type { FaultEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { Tenure } from './tenures.js';
import type { FaultStats } from './verdict.js';

/** The node leading at `t`: its tenure spans t, or ended within one claim gap before it. */
function leaderAt(tenures: Tenure[], t: number, gapMs: number): string | null {
  let best: Tenure | null = null;
  for (const tenure of tenures) {
    if (tenure.from > t || tenure.to < t - gapMs) continue;
    if (best === null || tenure.to > best.to) best = tenure;
  }
  return best?.node ?? null;
}

export function faultStats(
  index: HistoryIndex,
  tenures: Tenure[],
  availability: Availability,
): FaultStats[] {
  const { history } = index;
  const claims = index.of('claim');
  return index.of('fault').map((f: FaultEvent) => {
    const end = index.faultEnd(f);
    const leader = leaderAt(tenures, f.start, availability.thresholdMs);
    const byOther = claims.filter((c) => c.node !== leader && c.t0 >= f.start);
    const tookLeader =
      leader !== null && (f.targets.includes(leader) || byOther.some((c) => c.t0 <= end));
    const successor = byOther.find((c) => c.t0 <= end + history.timing.recoveryBoundMs);
    const agreed = f.end === null ? null : firstAgreement(index, f.end, history.end);
    return {
      id: f.id,
      nemesis: f.nemesis,
      variant: f.variant,
      targets: f.targets,
      networkLevel: f.networkLevel,
      start: f.start,
      end: f.end,
      leaderAtStart: leader,
      tookLeader,
      timeToNewLeaderMs: tookLeader && successor !== undefined ? successor.t0 - f.start : null,
      recoveryMs: agreed === null || f.end === null ? null : agreed.at - f.end,
      unavailableMs: availability.unavailableMs(f.start, end),
    };
  });
}
