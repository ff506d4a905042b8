import { median } from './availability.js';
import { type ChaosHistory, NEMESES, type NemesisKind } from './history.js';
import type { ChaosVerdict, MemoryStats } from './verdict.js';

/** How one kind of fault went over the run. Times in ms; null where nothing was measured. */
export interface NemesisSummary {
  nemesis: NemesisKind;
  faults: number;
  violations: number;
  notPromised: number;
  unavailableMs: number;
  newLeaderMedianMs: number | null;
  newLeaderWorstMs: number | null;
  recoveryMedianMs: number | null;
  recoveryWorstMs: number | null;
}

const worst = (xs: number[]): number | null => (xs.length === 0 ? null : Math.max(...xs));

/** One row per kind of fault the run injected, in the order NEMESES lists them. */
export function summaryRows(verdict: ChaosVerdict): NemesisSummary[] {
  const faults = verdict.stats.faults;
  const rows: NemesisSummary[] = [];
  for (const nemesis of NEMESES) {
    const mine = faults.filter((f) => f.nemesis === nemesis);
    if (mine.length === 0) continue;
    const ids = new Set(mine.map((f) => f.id));
    const touches = (x: { faults: number[] }) => x.faults.some((id) => ids.has(id));
    const newLeader = mine.flatMap((f) =>
      f.timeToNewLeaderMs === null ? [] : [f.timeToNewLeaderMs],
    );
    const recovery = mine.flatMap((f) => (f.recoveryMs === null ? [] : [f.recoveryMs]));
    rows.push({
      nemesis,
      faults: mine.length,
      violations: verdict.violations.filter(touches).length,
      notPromised: verdict.notPromised.filter(touches).length,
      unavailableMs: mine.reduce((sum, f) => sum + f.unavailableMs, 0),
      newLeaderMedianMs: median(newLeader),
      newLeaderWorstMs: worst(newLeader),
      recoveryMedianMs: median(recovery),
      recoveryWorstMs: worst(recovery),
    });
  }
  return rows;
}

export function formatMs(t: number | null): string {
  if (t === null) return '-';
  if (t < 1000) return `${Math.round(t)} ms`;
  return `${(t / 1000).toFixed(2)} s`;
}

export const SUMMARY_HEADINGS = [
  'nemesis',
  'faults',
  'violations',
  'not promised',
  'unavailable',
  'new leader median',
  'new leader worst',
  'recovery median',
  'recovery worst',
] as const;

export function summaryCells(row: NemesisSummary): string[] {
  return [
    row.nemesis,
    String(row.faults),
    String(row.violations),
    String(row.notPromised),
    formatMs(row.unavailableMs),
    formatMs(row.newLeaderMedianMs),
    formatMs(row.newLeaderWorstMs),
    formatMs(row.recoveryMedianMs),
    formatMs(row.recoveryWorstMs),
  ];
}

/** The run's verdict and the per-nemesis table, as plain text for a terminal. */
export function formatSummary(history: ChaosHistory, verdict: ChaosVerdict): string {
  const { stats } = verdict;
  const store =
    history.store === undefined
      ? ''
      : ` on ${history.store}${history.storeVersion ? ` ${history.storeVersion}` : ''}`;
  const lines = [
    `chaos: ${history.protocol}${store}, seed ${history.seed}, ${history.nodes.length} nodes, ` +
      `${formatMs(stats.durationMs)}: ${verdict.ok ? 'PASS' : `FAIL (${verdict.violations.length} violation${verdict.violations.length === 1 ? '' : 's'})`}`,
    `claims ${stats.claims} in ${stats.tenures} tenures, resolution ${stats.resolutionMs.toFixed(1)} ms; ` +
      `writes ${stats.writes.accepted} accepted, ${stats.writes.rejected} rejected; ` +
      `unavailable ${formatMs(stats.unavailableMs)}`,
  ];
  const rows = summaryRows(verdict).map(summaryCells);
  if (rows.length > 0) {
    const table = [[...SUMMARY_HEADINGS], ...rows];
    const widths = SUMMARY_HEADINGS.map((_, i) => Math.max(...table.map((r) => r[i]!.length)));
    const line = (r: string[]) =>
      r
        .map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
        .join('  ');
    lines.push('', line(table[0]!), widths.map((w) => '-'.repeat(w)).join('  '));
    for (const r of rows) lines.push(line(r));
  }
  if (stats.recovery !== null) {
    lines.push(
      '',
      stats.recovery.agreedAt === null
        ? 'recovery: no agreed leader after the last heal'
        : `recovery: ${stats.recovery.leader} agreed ${formatMs(stats.recovery.agreedAt - stats.recovery.from)} after the last heal`,
    );
  }
  const above = stats.faults.filter((f) => !f.networkLevel);
  if (above.length > 0) {
    const kinds = [...new Set(above.map((f) => f.nemesis))].join(', ');
    lines.push(
      `not network-level: ${above.length} fault(s) (${kinds}) made inside the workers, above the transport`,
    );
  }
  const memory = memoryLine(stats.memory);
  if (memory !== undefined) lines.push(memory);
  if (stats.wipedRestarts.length > 0) {
    const revotes = stats.wipedRestarts.reduce((n, w) => n + w.revotes.length, 0);
    lines.push(
      `wiped restarts: ${stats.wipedRestarts.length}, votes they forgot and recast: ${revotes}`,
    );
  }
  for (const v of verdict.violations) lines.push(`VIOLATION ${v.rule}: ${v.message}`);
  for (const n of verdict.notPromised)
    lines.push(`not promised ${n.rule}: ${n.message} (${n.reason})`);
  return `${lines.join('\n')}\n`;
}

const MB = 1024 * 1024;
const signedMb = (bytes: number) => `${bytes >= 0 ? '+' : ''}${(bytes / MB).toFixed(1)} MB`;

/**
 * Growth after warm-up over every process that lived long enough to be measured: RSS, and
 * the heap after a full collection where it was sampled.
 */
export function memoryLine(memory: MemoryStats[]): string | undefined {
  if (memory.length === 0) return undefined;
  const rss = memory.map((m) => m.endBytes - m.warmBytes);
  const heap = memory.flatMap((m) =>
    m.warmHeapBytes === undefined || m.endHeapBytes === undefined
      ? []
      : [m.endHeapBytes - m.warmHeapBytes],
  );
  let line =
    `memory after warm-up (${memory.length} processes): rss median ${signedMb(median(rss)!)}, ` +
    `worst ${signedMb(Math.max(...rss))}`;
  if (heap.length > 0) {
    line += `; heap after GC median ${signedMb(median(heap)!)}, worst ${signedMb(Math.max(...heap))}`;
  }
  return line;
}
