import { fetchDiag } from './diag-client.mjs';

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The leader every document names, if all are present, agree, share a term and it holds its lease. */
export function agreedLeader(docs) {
  if (docs.some((d) => d === undefined)) return undefined;
  const leader = docs[0].leader;
  if (leader === null) return undefined;
  if (!docs.every((d) => d.leader === leader && d.term === docs[0].term)) return undefined;
  const holder = docs.find((d) => d.id === leader);
  return holder?.isLeader === true ? leader : undefined;
}

/**
 * Waits until every node names the same lease-holding leader and has for `quietMs`, so a
 * measurement never starts in the middle of an election or a rejoin. `agree` reads the
 * agreed leader from all the documents (undefined while they disagree).
 */
export async function waitForStableLeader(
  ports,
  { quietMs = 500, timeoutMs = 15_000, agree = agreedLeader } = {},
) {
  const deadline = performance.now() + timeoutMs;
  let leader;
  let since = 0;
  while (performance.now() < deadline) {
    const docs = await Promise.all(ports.map((p) => fetchDiag(p)));
    const current = agree(docs);
    const now = performance.now();
    if (current !== leader) {
      leader = current;
      since = now;
    } else if (current !== undefined && now - since >= quietMs) {
      return { leader, docs };
    }
    await sleep(25);
  }
  throw new Error(`no stable leader within ${timeoutMs} ms`);
}

/**
 * Polls each node's /diag every `intervalMs`, one request in flight per node, until every
 * node's latest answer names the same leader and it is not `previous`. Returns the
 * performance.now() at which the answer that completed the agreement arrived, and that
 * leader; undefined if the deadline passes first. `leaderOf` reads the leader from a
 * document (its id by default; Bully's benchmark compares pids).
 */
export async function pollUntilNewLeader(
  ports,
  previous,
  { intervalMs = 2, timeoutMs = 5000, leaderOf = (doc) => doc.leader } = {},
) {
  const deadline = performance.now() + timeoutMs;
  const latest = new Array(ports.length).fill(undefined);
  let outcome;
  const agreed = () => {
    const first = latest[0];
    if (first === undefined || first === null || first === previous) return false;
    return latest.every((l) => l === first);
  };
  await Promise.all(
    ports.map(async (port, i) => {
      while (outcome === undefined && performance.now() < deadline) {
        const doc = await fetchDiag(port);
        const at = performance.now();
        // A missed answer says nothing new; the node's last known view stands.
        if (doc !== undefined) latest[i] = leaderOf(doc) ?? null;
        if (outcome === undefined && agreed()) outcome = { at, leader: latest[0] };
        else await sleep(intervalMs);
      }
    }),
  );
  return outcome;
}
