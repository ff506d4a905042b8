import { electLeaders } from '../entropy/elect-leaders.js';

/** One shard's leadership handed from one member to another. */
export interface SpreadMove {
  shard: string;
  from: string;
  to: string;
}

/** The most shards one member may lead when `shards` are spread over `live` members. */
export function spreadCap(shards: number, live: number): number {
  return live === 0 ? shards : Math.ceil(shards / live);
}

/**
 * The members in the order a shard prefers them: rendezvous hashing (SHA-256 of the shard's
 * name and each member's id, highest first). Every process computes the same order with no
 * messages, and a member joining or leaving moves only the shards that rank it first.
 */
export function preferredLeaders(shard: string, members: readonly string[]): string[] {
  return members.length === 0 ? [] : electLeaders(members, members.length, shard);
}

/**
 * The fewest hand-overs that leave no live member leading more than `spreadCap` shards.
 *
 * Only a member over the cap gives shards away, each to the live member the shard prefers
 * most among those still under the cap; it first gives away the shards that prefer someone
 * else over it, so leadership drifts toward the rendezvous order rather than away from it.
 * A shard with no leader, or led by a member not in `live`, is left to its election. The
 * result depends on the inputs' contents, not their order, so every process that sees the
 * same leaders plans the same moves.
 */
export function spreadMoves(
  leaders: ReadonlyMap<string, string | null>,
  live: readonly string[],
): SpreadMove[] {
  const members = [...new Set(live)].sort();
  const cap = spreadCap(leaders.size, members.length);
  const led = new Map<string, string[]>(members.map((m) => [m, []]));
  for (const [shard, leader] of [...leaders].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (leader !== null) led.get(leader)?.push(shard);
  }
  const count = new Map(members.map((m) => [m, led.get(m)!.length]));
  const moves: SpreadMove[] = [];
  for (const from of members) {
    const excess = count.get(from)! - cap;
    if (excess <= 0) continue;
    const ranked = led
      .get(from)!
      .map((shard) => ({ shard, order: preferredLeaders(shard, members) }));
    // Shards that would rather be elsewhere go first, the least attached to `from` first.
    ranked.sort(
      (a, b) => b.order.indexOf(from) - a.order.indexOf(from) || (a.shard < b.shard ? -1 : 1),
    );
    for (const { shard, order } of ranked.slice(0, excess)) {
      const to = order.find((m) => m !== from && count.get(m)! < cap);
      if (to === undefined) break;
      moves.push({ shard, from, to });
      count.set(from, count.get(from)! - 1);
      count.set(to, count.get(to)! + 1);
    }
  }
  return moves;
}
