import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { agreedLeader, type LesNode, lesAddresses, lesNode } from './les-cluster.js';
import { waitFor } from './wait-for.js';

const running: LesNode[] = [];
const servers: net.Server[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  for (const s of servers.splice(0)) s.close();
});

/** Starts nodes one after another, so that each is junior to the ones before it. */
async function startInOrder(
  addresses: string[],
  seeds: string[],
  options: (i: number) => Parameters<typeof lesNode>[2] = () => ({}),
): Promise<LesNode[]> {
  const nodes: LesNode[] = [];
  for (const [i, address] of addresses.entries()) {
    const node = lesNode(address, seeds, options(i));
    running.push(node);
    await node.start();
    nodes.push(node);
    // start_time has microsecond resolution; make seniority unambiguous.
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return nodes;
}

const agreeOn = (nodes: LesNode[], leader: string, what: string) =>
  waitFor(() => agreedLeader(nodes) === leader, 15_000, what);

async function failoverChecks(
  size: number,
  push: (i: number) => boolean,
  options: Parameters<typeof lesNode>[2] = {},
): Promise<void> {
  const addresses = await lesAddresses(size);
  const nodes = await startInOrder(addresses, addresses, (i) => ({ ...options, push: push(i) }));
  const sorted = [...addresses].sort();
  await waitFor(
    () =>
      nodes.every(
        (n) =>
          n.election
            .status()
            .members.map((m) => m.id)
            .sort()
            .join() === sorted.join(),
      ),
    15_000,
    'every node to know every other',
  );
  await agreeOn(nodes, addresses[0]!, 'the oldest node to lead');
  await nodes[0]!.stop();
  await agreeOn(nodes, addresses[1]!, 'the next oldest to take over');
  for (const n of nodes.slice(1)) {
    expect(n.election.status().members.map((m) => m.id)).not.toContain(addresses[0]);
  }
  // Back on its old address, the first node is now the most junior.
  await nodes[0]!.start();
  await waitFor(
    () => nodes.every((n) => n.election.status().members.length === size),
    15_000,
    'the restarted node to rejoin',
  );
  await agreeOn(nodes, addresses[1]!, 'the leader to stay');
  expect(nodes[0]!.election.status().role).toBe('follower');
}

describe('les over HTTP', () => {
  it('3 nodes elect the oldest, fail over to the next oldest, and take a restarted node as junior', async () => {
    await failoverChecks(3, () => true);
  }, 60_000);

  it('5 nodes do the same, one of them speaking only the HTTP API (no push)', async () => {
    await failoverChecks(5, (i) => i !== 2);
  }, 60_000);

  it('the same without push at all, as reference nodes would, noticing the dead node by its refused connections', async () => {
    // No request times out within the test: only a refused connection can remove a member.
    await failoverChecks(3, () => false, { stateTimeoutMs: 600_000, pingTimeoutMs: 600_000 });
  }, 60_000);

  it('retries a seed that is down at start, which joins when it comes up', async () => {
    const addresses = await lesAddresses(3);
    const [first, second, late] = addresses as [string, string, string];
    // The late seed is configured on every node but started last, after the others elected.
    const nodes = await startInOrder([first, second], addresses);
    await agreeOn(nodes, first, 'the two running nodes to elect');
    // It knows no one: only the others' retries of their seed list can find it.
    const lateNode = lesNode(late, [late], {});
    running.push(lateNode);
    await lateNode.start();
    const all = [...nodes, lateNode];
    await waitFor(
      () => all.every((n) => n.election.status().members.length === 3),
      15_000,
      'the late seed to join everywhere',
    );
    await agreeOn(all, first, 'the late node to follow the oldest');
  }, 60_000);

  it('a seed that accepts connections but never answers holds nothing up', async () => {
    const silent = net.createServer(() => {
      // Accept and say nothing, forever.
    });
    servers.push(silent);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const silentAddress = `127.0.0.1:${(silent.address() as net.AddressInfo).port}`;
    const addresses = await lesAddresses(3);
    // Requests to the silent seed would take a minute to time out; elections must not wait.
    const nodes = await startInOrder(addresses, [...addresses, silentAddress], () => ({
      stateTimeoutMs: 60_000,
    }));
    await agreeOn(nodes, addresses[0]!, 'the oldest to lead despite the silent seed');
    await nodes[0]!.stop();
    await agreeOn(nodes, addresses[1]!, 'the next oldest to take over despite the silent seed');
  }, 60_000);

  it('two nodes with the same start_time elect the smaller address', async () => {
    const addresses = (await lesAddresses(2)).sort();
    const nodes = await startInOrder(addresses, addresses, () => ({ startTime: 1_700_000_000.5 }));
    await agreeOn(nodes, addresses[0]!, 'the smaller address to lead');
  }, 60_000);

  it('a node alone does not lead, unless told it may', async () => {
    const [a, b] = await lesAddresses(2);
    const [lonely] = await startInOrder([a!], [a!]);
    const [alone] = await startInOrder([b!], [b!], () => ({ allowAlone: true }));
    await waitFor(() => alone!.election.isLeader, 15_000, 'the --alone node to lead');
    expect(lonely!.election.status().leader).toBeNull();
  }, 60_000);
});
