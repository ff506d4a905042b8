import { existsSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { RaftGroup, RaftGroupStatus } from '../../src/index.js';
import { localPeers, portOf } from './election-cluster.js';
import { sendAs } from './junk-attacks.js';
import {
  connectionsBetween,
  groupMember,
  portsOf,
  shardNames,
  waitForLeaders,
} from './raft-group-cluster.js';
import { waitFor } from './wait-for.js';

const THREE = ['n1', 'n2', 'n3'];
const ELECTIONS = shardNames(50);

const running: RaftGroup[] = [];
const cleanups: Array<() => void> = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await Promise.all(running.splice(0).map((g) => g.stop()));
});

/** Every (election, term) → the members that were elected in it, from 'elected' events. */
function recordElected(groups: RaftGroup[], ids: string[]): Map<string, Set<string>> {
  const elected = new Map<string, Set<string>>();
  for (const [i, group] of groups.entries()) {
    group.on('elected', ({ election, term }) => {
      const key = `${election}@${term}`;
      const who = elected.get(key) ?? new Set<string>();
      who.add(ids[i]!);
      elected.set(key, who);
    });
  }
  return elected;
}

async function startGroups(ids: string[], names = ELECTIONS) {
  const peers = await localPeers(ids);
  const groups = ids.map((id) => groupMember(id, peers, names));
  running.push(...groups);
  const elected = recordElected(groups, ids);
  await Promise.all(groups.map((g) => g.start()));
  return { peers, groups, elected };
}

/** Frames each member sent to each peer between two statuses, against the ticks between them. */
function framesPerTick(before: RaftGroupStatus, after: RaftGroupStatus) {
  const ticks = after.ticks - before.ticks;
  return after.peers.map((p) => {
    const was = before.peers.find((b) => b.id === p.id)!;
    return {
      link: `${after.id}->${p.id}`,
      ticks,
      frames: p.framesSent - was.framesSent,
      messages: p.messagesSent - was.messagesSent,
    };
  });
}

describe('raft election groups over TCP', () => {
  it('elects one leader per election over one connection per pair, a frame or two per tick', async () => {
    const { peers, groups, elected } = await startGroups(THREE);
    const first = await waitForLeaders(groups, 'every election to agree on a leader');
    expect(first.size).toBe(ELECTIONS.length);

    // Each pair of members shares one connection, whatever the number of elections.
    if (existsSync('/proc/net/tcp')) {
      await waitFor(
        () => connectionsBetween(portsOf(peers)) === 3,
        3000,
        'the short wake connections to close, leaving one per pair',
      );
    }

    // At rest, each member sends each peer its heartbeats in one frame per tick and its acks
    // to the peer's heartbeats in another: never more, however many elections there are.
    const before = groups.map((g) => g.status());
    await waitFor(
      () => groups.every((g, i) => g.status().ticks >= before[i]!.ticks + 20),
      5000,
      'twenty heartbeat ticks on every member',
    );
    const after = groups.map((g) => g.status());
    const links = before.flatMap((b, i) => framesPerTick(b, after[i]!));
    for (const link of links)
      expect(link.frames, link.link).toBeLessThanOrEqual(2 * link.ticks + 4);
    const frames = links.reduce((n, l) => n + l.frames, 0);
    const messages = links.reduce((n, l) => n + l.messages, 0);
    // 50 elections: a heartbeat and an ack to each of two followers, per tick, in a few frames.
    expect(messages / frames).toBeGreaterThan(10);
    // Under a loaded machine a lease may lapse and an election move: what must hold is that
    // every election settles on one leader again, never two in a term (checked below).
    const settled = await waitForLeaders(groups, 'every election to agree on a leader again');
    expect(settled.size).toBe(ELECTIONS.length);

    if (existsSync('/proc/net/tcp')) expect(connectionsBetween(portsOf(peers))).toBe(3);
    for (const [key, who] of elected) expect([...who], key).toHaveLength(1);
    expect(after.map((s) => s.errors)).toEqual([0, 0, 0]);
  });

  it('gives every election a stopped member led to a new leader, and keeps the others', async () => {
    const { groups, elected } = await startGroups(THREE);
    const first = await waitForLeaders(groups, 'every election to agree on a leader');
    // The member that leads the most elections leaves.
    const counts = THREE.map((id) => [...first.values()].filter((l) => l === id).length);
    const leaving = counts.indexOf(Math.max(...counts));
    const led = [...first].filter(([, leader]) => leader === THREE[leaving]).map(([e]) => e);
    expect(led.length).toBeGreaterThan(0);

    await groups[leaving]!.stop();
    const survivors = groups.filter((_, i) => i !== leaving);
    const next = await waitForLeaders(survivors, 'the survivors to lead every election');
    for (const name of led) expect(next.get(name), name).not.toBe(THREE[leaving]);
    for (const [name, leader] of first) {
      if (!led.includes(name)) expect(next.get(name), name).toBe(leader);
    }
    for (const [key, who] of elected) expect([...who], key).toHaveLength(1);
  });

  it('drops and counts malformed, oversize and unknown-election batches, losing no leader', async () => {
    // n0 is a member that never runs and never votes: anyone may speak as it, which is how
    // junk reaches a member on an accepted connection.
    const ids = ['n0', ...THREE];
    const peers = await localPeers(ids);
    peers[0] = { ...peers[0]!, noVote: true };
    const names = shardNames(10);
    const groups = THREE.map((id) => groupMember(id, peers, names));
    running.push(...groups);
    await Promise.all(groups.map((g) => g.start()));
    const first = await waitForLeaders(groups, 'every election to agree on a leader');

    const target = groups[2]!;
    const termBefore = target.status().elections.map((e) => e.term);
    const ahead = Math.max(...termBefore.map((t) => t ?? 0)) + 100;
    await sendAs(
      'tcp',
      { port: portOf(peers[3]!), knownPeer: 'n0', term: 0, track: (c) => cleanups.push(c) },
      'n0',
      [
        { batch: 'not a list' },
        'not a batch',
        { batch: [['no-such-election', { type: 'heartbeat', term: ahead, round: 1 }]] },
        { batch: Array.from({ length: 8193 }, () => ['shard-0', { type: 'vote', term: ahead }]) },
        { batch: [[7, {}], ['shard-1'], ['shard-2', { type: 'coup', term: ahead }]] },
      ],
    );
    await waitFor(
      () => Object.values(target.status().dropped).reduce((a, b) => a + (b ?? 0), 0) >= 7,
      3000,
      'the junk to be counted',
    );
    expect(target.status().dropped).toEqual({
      malformed: 4,
      oversize: 1,
      'unknown-election': 1,
      invalid: 1,
    });
    expect(target.election('shard-2').status().dropped).toEqual({ invalid: 1 });
    expect(target.status().elections.map((e) => e.term)).toEqual(termBefore);
    expect(await waitForLeaders(groups, 'the same leaders after the junk')).toEqual(first);
    expect(groups.map((g) => g.status().errors)).toEqual([0, 0, 0]);
  });

  it("keeps one election's throwing listener and callback to that election's errors", async () => {
    const peers = await localPeers(THREE);
    const names = shardNames(10);
    const groups = THREE.map((id) =>
      groupMember(id, peers, names, {
        callbacks: (name) =>
          name === 'shard-1'
            ? {
                enterFollower: () => {
                  throw new Error('follower callback failed');
                },
              }
            : undefined,
      }),
    );
    running.push(...groups);
    const errors: string[] = [];
    for (const group of groups) {
      group.election('shard-0').on('change', () => {
        throw new Error('listener failed');
      });
      group.on('error', ({ election }) => errors.push(String(election)));
    }
    await Promise.all(groups.map((g) => g.start()));
    await waitForLeaders(groups, 'every election to agree on a leader');
    expect(new Set(errors)).toEqual(new Set(['shard-0', 'shard-1']));
    const statuses = groups.map((g) => g.status());
    for (const group of groups) {
      for (const name of names.slice(2)) expect(group.election(name).status().errors).toBe(0);
    }
    expect(statuses.every((s) => s.errors > 0)).toBe(true);
  });
});
