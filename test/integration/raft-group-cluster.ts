import { readFileSync } from 'node:fs';
import {
  createRaftGroup,
  type PeerConfig,
  type RaftGroup,
  type RaftGroupOptions,
  type RaftGroupStatus,
} from '../../src/index.js';
import { tcpTransport } from '../../transports/index.js';
import { portOf } from './election-cluster.js';
import { waitFor } from './wait-for.js';

/** Names shard-0 … shard-(count-1), as `--shards` gives them. */
export function shardNames(count: number): string[] {
  return Array.from({ length: count }, (_, i) => `shard-${i}`);
}

/** One member's group over TCP, listening where `peers` says it lives (not yet started). */
export function groupMember(
  id: string,
  peers: PeerConfig[],
  elections: string[],
  extra: Partial<RaftGroupOptions> = {},
): RaftGroup {
  const self = peers.find((p) => p.id === id);
  if (self === undefined) throw new Error(`${id} is not among the peers`);
  return createRaftGroup({
    id,
    peers,
    transport: tcpTransport({ listen: self.address }),
    elections,
    ...extra,
  });
}

/**
 * Each election's leader when, in every one, exactly one member holds the lease and every
 * member names it in the same term; undefined otherwise.
 */
export function agreedLeaders(
  statuses: Pick<RaftGroupStatus, 'id' | 'elections'>[],
): Map<string, string> | undefined {
  const leaders = new Map<string, string>();
  const names = statuses[0]!.elections.map((e) => e.name);
  for (const [i, name] of names.entries()) {
    const views = statuses.map((s) => s.elections[i]!);
    const holders = views.filter((v) => v.isLeader);
    if (holders.length !== 1) return undefined;
    const leader = statuses[views.indexOf(holders[0]!)]!.id;
    const term = holders[0]!.term;
    if (!views.every((v) => v.leader === leader && v.term === term)) return undefined;
    leaders.set(name, leader);
  }
  return leaders;
}

/** Waits until every election of `groups` has one agreed leader; returns them by election. */
export async function waitForLeaders(
  groups: RaftGroup[],
  description: string,
  timeoutMs = 10_000,
): Promise<Map<string, string>> {
  let leaders: Map<string, string> | undefined;
  await waitFor(
    () => {
      leaders = agreedLeaders(groups.map((g) => g.status()));
      return leaders !== undefined;
    },
    timeoutMs,
    description,
  );
  return leaders!;
}

/**
 * Established TCP connections between the given listening ports, read from the kernel's
 * table: each counted once, from its dialing end (a local port that is not a listener's).
 */
export function connectionsBetween(ports: readonly number[]): number {
  const listening = new Set(ports);
  let count = 0;
  for (const line of readFileSync('/proc/net/tcp', 'utf8').split('\n').slice(1)) {
    const fields = line.trim().split(/\s+/);
    if (fields.length < 4 || fields[3] !== '01') continue;
    const local = Number.parseInt(fields[1]!.split(':')[1]!, 16);
    const remote = Number.parseInt(fields[2]!.split(':')[1]!, 16);
    if (listening.has(remote) && !listening.has(local)) count++;
  }
  return count;
}

/** The listening ports of `peers`. */
export function portsOf(peers: PeerConfig[]): number[] {
  return peers.map(portOf);
}
