import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DiagServer, startDiagServer } from '../../src/diag/diag-server.js';
import { createElection, type Election } from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from './wait-for.js';

const servers: DiagServer[] = [];
const elections: Election[] = [];
const sockets: WebSocket[] = [];
afterEach(async () => {
  for (const ws of sockets.splice(0)) ws.terminate();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(elections.splice(0).map((e) => e.stop()));
});

/** A 3-node raft cluster in memory, each node with a diag server that also serves the dashboard. */
async function cluster(): Promise<{ nodes: Election[]; urls: string[] }> {
  const network = new MemoryNetwork();
  const peers = ['n1', 'n2', 'n3'].map((id, i) => ({ id, address: `mem:${i}` }));
  const nodes = peers.map((p) =>
    createElection({ protocol: 'raft', id: p.id, peers, transport: memoryTransport(network) }),
  );
  elections.push(...nodes);
  await Promise.all(nodes.map((n) => n.start()));
  const urls: string[] = [];
  for (const node of nodes) {
    const server = await startDiagServer(node, { listen: '127.0.0.1:0', dashboard: true });
    servers.push(server);
    urls.push(`http://127.0.0.1:${server.address.port}`);
  }
  await waitFor(() => nodes.some((n) => n.isLeader), 10_000, 'a leader');
  return { nodes, urls };
}

interface Message {
  type: string;
  [key: string]: unknown;
}

async function open(url: string): Promise<{ ws: WebSocket; got: Message[] }> {
  const ws = new WebSocket(`${url.replace('http:', 'ws:')}/ws`, { origin: url });
  sockets.push(ws);
  const got: Message[] = [];
  ws.on('message', (data) => got.push(JSON.parse(String(data))));
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, got };
}

describe('diag server with the dashboard', () => {
  it('serves the page at / and keeps /diag, /healthz and POST /resign as they were', async () => {
    const { urls, nodes } = await cluster();
    const page = await fetch(`${urls[0]}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>electorate dashboard</title>');
    const doc = (await (await fetch(`${urls[0]}/diag`)).json()) as Record<string, unknown>;
    expect(Object.keys(doc).slice(0, 7)).toEqual([
      'id',
      'protocol',
      'role',
      'leader',
      'term',
      'members',
      'startedAt',
    ]);
    expect(await (await fetch(`${urls[0]}/healthz`)).text()).toBe('ok\n');
    const follower = nodes.findIndex((n) => !n.isLeader);
    expect((await fetch(`${urls[follower]}/resign`, { method: 'POST' })).status).toBe(409);
    expect((await fetch(`${urls[0]}/nope`)).status).toBe(404);
    expect((await fetch(`${urls[0]}/`, { method: 'POST' })).status).toBe(404);
  });

  it('pushes this node alone, as it sees things, and offers only resign', async () => {
    const { nodes, urls } = await cluster();
    const leaderIndex = nodes.findIndex((n) => n.isLeader);
    const leaderId = nodes[leaderIndex]!.status().id;
    const followerIndex = (leaderIndex + 1) % 3;
    const { ws, got } = await open(urls[followerIndex]!);
    await waitFor(() => got.some((m) => m.type === 'frame'), 5000, 'a frame');
    const hello = got.find((m) => m.type === 'hello')!;
    expect(hello.mode).toBe('node');
    expect(hello.controls).toEqual(['resign']);
    expect(hello.nodes).toEqual([nodes[followerIndex]!.status().id]);
    expect(String(hello.chart)).toContain('data-state="raft.leader"');
    const frame = got.findLast((m) => m.type === 'frame') as unknown as {
      nodes: { id: string; leader: string; states: string[]; peers: { id: string }[] }[];
    };
    expect(frame.nodes).toHaveLength(1);
    expect(frame.nodes[0]!.leader).toBe(leaderId);
    expect(frame.nodes[0]!.states).toContain('raft.follower');
    expect(frame.nodes[0]!.peers.map((p) => p.id).sort()).toHaveLength(2);

    const replies = () => got.filter((m) => m.type === 'ok' || m.type === 'error');
    ws.send(JSON.stringify({ type: 'kill', node: nodes[followerIndex]!.status().id }));
    await waitFor(() => replies().length === 1, 5000, 'a reply to kill');
    expect(replies()[0]).toMatchObject({ type: 'error' });
    expect(String(replies()[0]!.error)).toMatch(/unknown command "kill" \(known: resign\)/);
    ws.send('{"type":"resign"}');
    await waitFor(() => replies().length === 2, 5000, 'a reply to resign');
    expect(String(replies()[1]!.error)).toMatch(/does not lead/);

    // On the leader's page, resign hands leadership over.
    const leaderPage = await open(urls[leaderIndex]!);
    leaderPage.ws.send('{"type":"resign","ref":3}');
    await waitFor(
      () => leaderPage.got.some((m) => m.type === 'ok' && m.ref === 3),
      5000,
      'the leader to accept resign',
    );
    await waitFor(
      () => nodes.some((n) => n.isLeader && n.status().id !== leaderId),
      10_000,
      'another leader',
    );
  });

  it('refuses a socket from another origin', async () => {
    const { urls } = await cluster();
    const status = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`${urls[0]!.replace('http:', 'ws:')}/ws`, {
        origin: 'http://evil.example',
      });
      ws.once('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.once('open', () => resolve(101));
      ws.once('error', () => resolve(0));
    });
    expect(status).toBe(403);
  });
});
