import { describe, expect, it } from 'vitest';
import type { DemoProtocol } from '../../src/cli/demo-args.js';
import { clusterRecipe } from '../../src/cli/demo-recipes.js';
import { DemoCluster } from '../../src/dashboard/demo-cluster.js';
import { waitFor } from './wait-for.js';

/** The member every live node names as leader, when they agree and it leads. */
function agreed(cluster: DemoCluster): string | null {
  const frame = cluster.frame({ messages: 0, timeline: 0 });
  const live = frame.nodes.filter((n) => n.alive);
  const leader = live[0]?.leader ?? null;
  if (leader === null || !live.find((n) => n.id === leader)?.isLeader) return null;
  return live.every((n) => n.leader === leader) ? leader : null;
}

describe.each<DemoProtocol>(['raft', 'bully', 'les', 'kv'])('demo recipe %s', (protocol) => {
  it('elects a leader, and another once the leader is killed; a restart rejoins', async () => {
    const cluster = new DemoCluster(await clusterRecipe(protocol, 3), { id: protocol, svg: '' });
    try {
      await cluster.start();
      await waitFor(() => agreed(cluster) !== null, 30_000, 'a first leader', 50);
      const first = agreed(cluster)!;
      expect(await cluster.control({ type: 'kill', node: first })).toBe(`${first} killed`);
      await waitFor(
        () => agreed(cluster) !== null && agreed(cluster) !== first,
        30_000,
        'a second leader',
        50,
      );
      await cluster.control({ type: 'restart', node: first });
      await waitFor(
        () =>
          cluster.frame({ messages: 0, timeline: 0 }).nodes.every((n) => n.alive) &&
          agreed(cluster) !== null,
        30_000,
        'the restarted member to agree with the rest',
        50,
      );
      // The timeline tells the story; messages were counted from inspection events.
      const frame = cluster.frame({ messages: 0, timeline: 0 });
      const text = frame.timeline.map((e) => e.text);
      expect(text).toContain(`${first} killed`);
      expect(text).toContain(`${first} restarted`);
      expect(text.some((t) => / leads/.test(t))).toBe(true);
      expect(frame.messageTotal).toBeGreaterThan(0);
    } finally {
      await cluster.stop();
    }
  });
});

describe('demo recipe entropy', () => {
  it('has every member name the same leader of the round, hearing only the beacon', async () => {
    const cluster = new DemoCluster(await clusterRecipe('entropy', 4), { id: 'entropy', svg: '' });
    try {
      await cluster.start();
      await waitFor(() => agreed(cluster) !== null, 10_000, 'a leader of the round', 50);
      // The only messages are the beacon's readings.
      expect(cluster.traffic.links().map(([from]) => from)).toEqual([
        'source',
        'source',
        'source',
        'source',
      ]);
      // Leadership follows the beacon alone: nothing to resign, no links to slow.
      expect(cluster.hello().controls).toEqual(['kill', 'restart', 'partition', 'heal']);
    } finally {
      await cluster.stop();
    }
  });
});
