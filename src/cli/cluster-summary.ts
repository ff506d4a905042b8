import type { ElectionStatus } from '../status/election-status.js';

/**
 * One line on the whole cluster: who leads and in which term when every node agrees and
 * the leader holds its lease, else what each node believes.
 */
export function clusterSummary(time: Date, statuses: readonly ElectionStatus[]): string {
  const stamp = time.toISOString();
  const leader = statuses[0]?.leader ?? null;
  const holder = statuses.find((s) => s.id === leader);
  if (leader !== null && holder?.isLeader === true && statuses.every((s) => s.leader === leader)) {
    return `${stamp} cluster: ${leader} leads, term ${holder.term ?? '-'} (${statuses.length}/${statuses.length} agree)`;
  }
  const views = statuses.map((s) => `${s.id}: ${s.leader ?? 'none'}`).join(', ');
  return `${stamp} cluster: no agreed leader (${views})`;
}
