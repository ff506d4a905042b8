import { afterEach, describe, expect, it } from 'vitest';
import type { RaftGroup } from '../../src/index.js';
import { localPeers } from './election-cluster.js';
import { agreedLeaders, groupMember, shardNames, waitForLeaders } from './raft-group-cluster.js';
import { waitFor } from './wait-for.js';

const IDS = ['n1', 'n2', 'n3'];
const ELECTIONS = shardNames(30);
const running: RaftGroup[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

function counts(leaders: Map<string, string>): number[] {
  return IDS.map((id) => [...leaders.values()].filter((l) => l === id).length);
}

describe('raft election groups that spread their leaders', () => {
  it('hands a late member its share by TimeoutNow, never two leaders in a term', async () => {
    const peers = await localPeers(IDS);
    const groups = IDS.map((id) => groupMember(id, peers, ELECTIONS, { spread: true }));
    running.push(...groups);
    const elected = new Map<string, Set<string>>();
    for (const [i, group] of groups.entries()) {
      group.on('elected', ({ election, term }) => {
        const who = elected.get(`${election}@${term}`) ?? new Set<string>();
        who.add(IDS[i]!);
        elected.set(`${election}@${term}`, who);
      });
    }
    // Two members form a quorum and lead everything between them.
    await Promise.all(groups.slice(0, 2).map((g) => g.start()));
    await waitFor(
      () => groups.slice(0, 2).every((g) => g.status().elections.every((e) => e.leader !== null)),
      10_000,
      'the first two members to lead every election',
    );
    // The third joins: the others hand over until none leads more than ten.
    await groups[2]!.start();
    let spread: Map<string, string> | undefined;
    await waitFor(
      () => {
        const leaders = agreedLeaders(groups.map((g) => g.status()));
        if (leaders === undefined || !counts(leaders).every((c) => c <= 10)) return false;
        spread = leaders;
        return true;
      },
      20_000,
      'every member to lead at most ten elections',
    );
    expect(counts(spread!)).toEqual([10, 10, 10]);
    for (const [key, who] of elected) expect([...who], key).toHaveLength(1);
    // Once spread, it stays: nobody is over its share, so nobody moves.
    const settled = await waitForLeaders(groups, 'the spread to hold');
    expect(counts(settled)).toEqual([10, 10, 10]);
  });
});
