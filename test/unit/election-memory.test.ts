import { afterEach, describe, expect, it } from 'vitest';
import { createElection, type Election } from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from '../integration/wait-for.js';

const running: Election[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

function cluster(n: number, network = new MemoryNetwork()) {
  const peers = Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}`, address: `mem:${i + 1}` }));
  const nodes = peers.map((p) =>
    createElection({ protocol: 'raft', id: p.id, peers, transport: memoryTransport(network) }),
  );
  running.push(...nodes);
  return { nodes, network };
}

describe('createElection over the memory network', () => {
  it('elects one leader that every node names', async () => {
    const { nodes } = cluster(3);
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor(() => nodes.filter((n) => n.isLeader).length === 1, 5000);
    const leader = nodes.find((n) => n.isLeader)!;
    await waitFor(() => nodes.every((n) => n.status().leader === leader.status().id), 2000);
    expect(nodes.map((n) => n.status().term)).toEqual(Array(3).fill(leader.status().term));
  });
});
