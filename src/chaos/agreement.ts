import type { DiagEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';

export interface Agreement {
  at: number;
  leader: string;
}

/** Each node's latest `/diag` answer at `t`. */
export function latestDiags(index: HistoryIndex, t: number): Map<string, DiagEvent> {
  const latest = new Map<string, DiagEvent>();
  for (const d of index.of('diag')) {
    if (d.at > t) break;
    latest.set(d.node, d);
  }
  return latest;
}

function agreedLeader(latest: Map<string, DiagEvent>): string | null {
  const reachable = [...latest.values()].filter((d) => d.reachable);
  const leader = reachable[0]?.leader;
  if (leader === undefined || leader === null) return null;
  if (!reachable.every((d) => d.leader === leader)) return null;
  const own = latest.get(leader);
  return own?.reachable === true ? leader : null;
}

/**
 * The first moment in [from, until] when every reachable node's latest `/diag` names the
 * same leader, that leader answers too, and it has made a claim since `from`.
 */
export function firstAgreement(index: HistoryIndex, from: number, until: number): Agreement | null {
  const diags = index.of('diag');
  const firstClaimSince = new Map<string, number>();
  for (const c of index.of('claim')) {
    if (c.t1 >= from && !firstClaimSince.has(c.node)) firstClaimSince.set(c.node, c.t1);
  }
  const moments = [
    ...diags.filter((d) => d.at >= from && d.at <= until).map((d) => d.at),
    ...[...firstClaimSince.values()].filter((t) => t <= until),
    from,
  ].sort((a, b) => a - b);

  const latest = new Map<string, DiagEvent>();
  let next = 0;
  for (const t of moments) {
    while (next < diags.length && diags[next]!.at <= t) {
      latest.set(diags[next]!.node, diags[next]!);
      next++;
    }
    const leader = agreedLeader(latest);
    if (leader === null) continue;
    const claimed = firstClaimSince.get(leader);
    if (claimed !== undefined && claimed <= t) return { at: t, leader };
  }
  return null;
}
