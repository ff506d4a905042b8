import type { ChaosHistory, FaultEvent } from './history.js';

/**
 * Known defects of the stores themselves that end a lease early, so that a leader which
 * counted its lease correctly still overlaps its successor. They are reported as not
 * promised, naming the defect, and only for the fault and the store versions that have it:
 * on a fixed version the same overlap is a violation. The fencing token is what still
 * protects the work then, and the register checks that part as usual.
 */

/** [major, minor, patch] of a version like "3.4.23"; undefined when it does not parse. */
function parseVersion(text: string): [number, number, number] | undefined {
  const m = /^(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m === null ? undefined : [Number(m[1]), Number(m[2]), Number(m[3])];
}

/**
 * etcd-io/etcd#15247: a leader member that stood still (SIGSTOP, a stalled disk, a starved
 * CPU) resumes still believing it leads, finds by its own stale clock that every lease
 * expired, and proposes their revocation; having stepped down meanwhile, it forwards the
 * proposal to the new leader, which applies it although clients kept the leases alive
 * there. Fixed in 3.4.28 and 3.5.11 (the old leader's revocations are ignored).
 */
function etcdRevokesAfterPause(version: string): boolean {
  const v = parseVersion(version);
  if (v === undefined) return false;
  const [major, minor, patch] = v;
  if (major !== 3) return false;
  if (minor < 4) return true;
  if (minor === 4) return patch < 28;
  if (minor === 5) return patch < 11;
  return false;
}

/**
 * Why the store may have ended a lease early around `fault`, or undefined when it promises
 * not to. Only the window from the fault's heal (when the paused member resumes) to
 * `withinMs` after it counts.
 */
export function storeEndsLeaseEarly(
  history: Pick<ChaosHistory, 'store' | 'storeVersion'>,
  fault: FaultEvent,
): string | undefined {
  const version = history.storeVersion;
  if (version === undefined || fault.nemesis !== 'store') return undefined;
  if (
    history.store === 'etcd-cluster' &&
    fault.variant === 'pause-leader-member' &&
    etcdRevokesAfterPause(version)
  ) {
    return (
      `etcd ${version} lets a leader member that was paused revoke, as it resumes, leases ` +
      'other members were keeping alive (etcd-io/etcd#15247, fixed in 3.4.28 and 3.5.11): ' +
      'the store ended the lease before its TTL'
    );
  }
  return undefined;
}
