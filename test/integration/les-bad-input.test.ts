import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { LesRefusal } from '../../src/index.js';
import { agreedLeader, type LesNode, lesAddresses, lesNode } from './les-cluster.js';
import { waitFor } from './wait-for.js';

const running: LesNode[] = [];
const servers: http.Server[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

/** A peer that answers every path with whatever `answer` gives for it. */
async function hostilePeer(
  answer: (path: string) => { status?: number; body: string | Buffer },
): Promise<string> {
  const server = http.createServer((req, res) => {
    const { status = 200, body } = answer(req.url ?? '/');
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(body);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A state that passes for a peer's, with `extra` merged over it. */
const stateOf = (self: string, extra: Record<string, unknown> = {}) =>
  JSON.stringify({ members: [self], leader: false, start_time: 1, ...extra });

/**
 * Two honest nodes seeded with `hostile` too; they must still elect the older of them. A
 * hostile peer that answers is a member, and the older node leads only once every member
 * names it, so such peers name `addresses[0]` as their leader.
 */
async function honestPair(
  hostile: string[],
  options: Parameters<typeof lesNode>[2] = {},
  addresses: string[] = [],
): Promise<LesNode[]> {
  if (addresses.length === 0) addresses.push(...(await lesAddresses(2)));
  const nodes: LesNode[] = [];
  for (const address of addresses) {
    const node = lesNode(address, [...addresses, ...hostile], { loopMs: 100, ...options });
    running.push(node);
    await node.start();
    nodes.push(node);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await waitFor(() => agreedLeader(nodes) === addresses[0], 15_000, 'the honest pair to elect');
  return nodes;
}

const junkMembers = (nodes: LesNode[], allowed: string[]) =>
  nodes
    .flatMap((n) => n.election.status().members.map((m) => m.id))
    .filter((id) => !allowed.includes(id));

describe('les against hostile peers', () => {
  it('drops answers that are not JSON, have the wrong types, or are too large, and removes their senders', async () => {
    const notJson = await hostilePeer(() => ({ body: '{"members": [' }));
    const wrongTypes = await hostilePeer(() => ({
      body: JSON.stringify({ members: 'everyone', leader: 7, start_time: 'yesterday' }),
    }));
    const huge = await hostilePeer(() => ({ body: Buffer.alloc(1024 * 1024, 0x20) }));
    const notUtf8 = await hostilePeer(() => ({ body: Buffer.from([0x7b, 0xff, 0xfe, 0x7d]) }));
    const hostile = [notJson, wrongTypes, huge, notUtf8];
    const nodes = await honestPair(hostile);
    // Every loop polls them again, so the counts only grow; wait until each kind is seen.
    await waitFor(
      () =>
        nodes.every((n) => {
          const { dropped } = n.election.status();
          return (
            (dropped.oversize ?? 0) >= 1 &&
            (dropped.malformed ?? 0) >= 2 &&
            (dropped.invalid ?? 0) >= 1
          );
        }),
      15_000,
      'every kind of bad answer to be counted',
    );
    for (const n of nodes) expect(n.election.status().errors).toBe(0);
    expect(
      junkMembers(
        nodes,
        nodes.map((n) => n.address),
      ),
    ).toEqual([]);
  }, 60_000);

  it('ignores member entries that are not addresses and never names them', async () => {
    const addresses = await lesAddresses(2);
    const liar = await hostilePeer((path) => ({
      body:
        path === '/ping'
          ? 'OK'
          : stateOf('x', {
              members: ['a b:1', 'x:99999', `${'h'.repeat(300)}:1`, '[zz]:1', 42, null, ':80'],
              leader: addresses[0],
              start_time: 9_999_999_999,
            }),
    }));
    const nodes = await honestPair([liar], {}, addresses);
    await waitFor(
      () => nodes.every((n) => n.election.status().members.some((m) => m.id === liar)),
      15_000,
      'the liar to be a member (it answers)',
    );
    expect(junkMembers(nodes, [...nodes.map((n) => n.address), liar])).toEqual([]);
    expect(agreedLeader(nodes)).toBe(nodes[0]!.address);
  }, 60_000);

  it('refuses members outside allowMembers and past maxMembers, and says so', async () => {
    const refusals: LesRefusal[] = [];
    const addresses = await lesAddresses(2);
    const named = Array.from({ length: 50 }, (_, i) => `127.0.0.1:${1 + i}`);
    const flooder = await hostilePeer((path) => ({
      body:
        path === '/ping'
          ? 'OK'
          : stateOf('x', {
              members: [...named, 'evil.example:80', '10.9.9.9:80'],
              leader: addresses[0],
              start_time: 9e9,
            }),
    }));
    const nodes = await honestPair(
      [flooder],
      {
        allowMembers: ['127.0.0.0/8', 'localhost'],
        maxMembers: 4,
        onRefused: (r) => refusals.push(r),
      },
      addresses,
    );
    await waitFor(
      () =>
        refusals.some((r) => r.reason === 'not-allowed') &&
        refusals.some((r) => r.reason === 'max-members'),
      15_000,
      'both kinds of refusal',
    );
    const refusedHosts = new Set(
      refusals.filter((r) => r.reason === 'not-allowed').map((r) => r.address),
    );
    expect([...refusedHosts].sort()).toEqual(['10.9.9.9:80', 'evil.example:80']);
    for (const n of nodes) {
      const status = n.election.status();
      expect(status.members.length).toBeLessThanOrEqual(4);
      expect(status.dropped.refused).toBeGreaterThan(0);
    }
    expect(agreedLeader(nodes)).toBe(nodes[0]!.address);
  }, 60_000);

  it('an allowlist naming ports keeps out a senior claimant on an allowed host', async () => {
    // Same host as the honest pair, another port, and the oldest start time there can be.
    const usurper = await hostilePeer((path) => ({
      body: path === '/ping' ? 'OK' : stateOf('x', { start_time: 0, leader: false }),
    }));
    const refusals: LesRefusal[] = [];
    const addresses = await lesAddresses(2);
    const nodes = await honestPair(
      [],
      { allowMembers: [...addresses], onRefused: (r) => refusals.push(r) },
      addresses,
    );
    // Seeds are the operator's own choice and always allowed, so it asks to join instead.
    await waitFor(
      async () => {
        for (const address of addresses) await fetch(`http://${address}/state/${usurper}`);
        return refusals.some((r) => r.address === usurper && r.reason === 'not-allowed');
      },
      15_000,
      'the claimant to be refused',
    );
    expect(junkMembers(nodes, addresses)).toEqual([]);
    expect(agreedLeader(nodes)).toBe(addresses[0]);
    for (const n of nodes) expect(n.election.status().dropped.refused).toBeGreaterThan(0);
  }, 60_000);

  it('a peer claiming to be most senior is named leader only while it answers', async () => {
    // It claims the oldest start_time, and to follow some node nobody else knows.
    const usurper = await hostilePeer((path) => ({
      body: path === '/ping' ? 'OK' : stateOf('x', { start_time: 0.5, leader: '127.0.0.1:1' }),
    }));
    const addresses = await lesAddresses(2);
    const nodes: LesNode[] = [];
    for (const address of addresses) {
      const node = lesNode(address, [...addresses, usurper], { loopMs: 100 });
      running.push(node);
      await node.start();
      nodes.push(node);
    }
    await waitFor(
      () => nodes.every((n) => n.election.status().leader === usurper),
      15_000,
      'the most senior (claimed) node to be named',
    );
    // Once it stops answering it is removed, and with it its leadership.
    servers[0]!.closeAllConnections();
    servers[0]!.close();
    await waitFor(
      () => agreedLeader(nodes) === addresses[0],
      15_000,
      'the honest pair to take over',
    );
  }, 60_000);
});
