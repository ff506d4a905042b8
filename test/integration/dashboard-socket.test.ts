import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import type { DashboardFrame } from '../../src/dashboard/dashboard-source.js';
import { demoDashboard } from './demo-dashboard.js';
import { waitFor } from './wait-for.js';

interface Reply {
  type: string;
  ref?: number | null;
  error?: string;
  text?: string;
}

/** A raw client of the dashboard socket that keeps every reply and the latest frame. */
interface DashClient {
  ws: WebSocket;
  replies: Reply[];
  frame: () => (DashboardFrame & { type: 'frame' }) | undefined;
  hello: () => { nodes: string[]; controls: string[] } | undefined;
  closeCode: () => number | undefined;
}

function connect(url: string, headers: Record<string, string> = {}): Promise<DashClient> {
  const origin = url.replace(/\/$/, '');
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url.replace('http:', 'ws:')}ws`, {
      origin,
      headers,
      maxPayload: 16 * 1024 * 1024,
    });
    const replies: Reply[] = [];
    let frame: (DashboardFrame & { type: 'frame' }) | undefined;
    let hello: { nodes: string[]; controls: string[] } | undefined;
    let code: number | undefined;
    ws.on('message', (data) => {
      const msg = JSON.parse(String(data));
      if (msg.type === 'frame') frame = msg;
      else if (msg.type === 'hello') hello = msg;
      else replies.push(msg);
    });
    ws.on('close', (c) => {
      code = c;
    });
    ws.once('open', () => {
      ws.on('error', () => {});
      resolve({ ws, replies, frame: () => frame, hello: () => hello, closeCode: () => code });
    });
    ws.once('error', reject);
  });
}

/** How the upgrade went for a client with these headers: the HTTP status, or 101. */
function upgradeStatus(url: string, options: WebSocket.ClientOptions): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http:', 'ws:')}ws`, options);
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}

async function reply(client: DashClient, payload: string | Buffer): Promise<Reply> {
  const before = client.replies.length;
  client.ws.send(payload);
  await waitFor(() => client.replies.length > before, 5000, 'a reply');
  return client.replies[before]!;
}

const leaderOf = (frame: DashboardFrame | undefined) =>
  frame?.nodes.find((n) => n.isLeader && frame.nodes.every((m) => m.leader === n.id));

describe('dashboard socket', () => {
  const demo = demoDashboard();

  it('listens on 127.0.0.1 and serves the page with its script and style', async () => {
    expect(demo.server.address.host).toBe('127.0.0.1');
    const page = await fetch(demo.server.url);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).toContain('<script src="app.js"');
    expect((await fetch(`${demo.server.url}app.js`)).status).toBe(200);
    expect((await fetch(`${demo.server.url}style.css`)).status).toBe(200);
    expect((await fetch(`${demo.server.url}../package.json`)).status).toBe(404);
    expect((await fetch(`${demo.server.url}nope`)).status).toBe(404);
  });

  it('accepts only its own page: a foreign, missing or rebound origin is refused', async () => {
    const { port } = demo.server.address;
    expect(await upgradeStatus(demo.server.url, { origin: `http://127.0.0.1:${port}` })).toBe(101);
    expect(
      await upgradeStatus(demo.server.url, {
        origin: `http://localhost:${port}`,
        headers: { host: `localhost:${port}` },
      }),
    ).toBe(101);
    expect(await upgradeStatus(demo.server.url, { origin: 'http://evil.example' })).toBe(403);
    expect(await upgradeStatus(demo.server.url, { origin: `http://127.0.0.1:${port + 1}` })).toBe(
      403,
    );
    expect(await upgradeStatus(demo.server.url, {})).toBe(403);
    // A page on a DNS name rebound to 127.0.0.1 sends a matching Host, and is still refused.
    expect(
      await upgradeStatus(demo.server.url, {
        origin: `http://rebound.example:${port}`,
        headers: { host: `rebound.example:${port}` },
      }),
    ).toBe(403);
  });

  it('answers malformed and unknown commands with an error, and the cluster carries on', async () => {
    const client = await connect(demo.server.url);
    try {
      await waitFor(() => leaderOf(client.frame()) !== undefined, 20_000, 'a leader');
      const leader = leaderOf(client.frame())!;
      const term = leader.term;
      const bad: [string | Buffer, RegExp][] = [
        ['not json', /not JSON/],
        ['[1,2]', /JSON object/],
        ['null', /JSON object/],
        ['{"type":"reboot","node":"n1"}', /unknown command "reboot"/],
        ['{"node":"n1"}', /unknown command null/],
        ['{"type":"kill"}', /node must be a node id/],
        ['{"type":"kill","node":"n9"}', /unknown node "n9"/],
        ['{"type":"kill","node":"n1","force":true}', /unexpected field "force"/],
        ['{"type":"partition","groups":[["n1"]]}', /at least two groups/],
        ['{"type":"partition","groups":[["n1"],["n1","n2"]]}', /n1 is in two groups/],
        ['{"type":"partition","groups":[["n1"],[]]}', /non-empty/],
        ['{"type":"link","from":"n1","to":"n1"}', /two different nodes/],
        ['{"type":"link","from":"n1","to":"n2","loss":2}', /loss must be a number from 0 to 1/],
        ['{"type":"link","from":"n1","to":"n2","delayMs":-1}', /delayMs must be/],
        ['{"type":"link","from":"n1","to":"n2","loss":"all"}', /loss must be/],
        [`{"type":"heal","pad":"${'x'.repeat(5000)}"}`, /too large/],
        [Buffer.from([1, 2, 3]), /binary/],
      ];
      for (const [payload, error] of bad) {
        const answer = await reply(client, payload instanceof Buffer ? payload : payload);
        expect(answer.type, String(payload).slice(0, 60)).toBe('error');
        expect(answer.error).toMatch(error);
      }
      // The ref of a bad but parseable command comes back, so the page can match replies.
      expect(await reply(client, '{"type":"kill","node":"zz","ref":7}')).toMatchObject({
        type: 'error',
        ref: 7,
      });
      // A resign to a node that does not lead is refused without touching anyone.
      const follower = client.frame()!.nodes.find((n) => n.id !== leader.id)!;
      expect(
        (await reply(client, JSON.stringify({ type: 'resign', node: follower.id }))).error,
      ).toMatch(/does not lead/);
      const after = client.frame()!;
      expect(after.nodes.every((n) => n.alive)).toBe(true);
      expect(after.faults.groups).toEqual([]);
      expect(after.faults.links).toEqual([]);
      expect(leaderOf(after)?.id).toBe(leader.id);
      expect(leaderOf(after)?.term).toBe(term);
    } finally {
      client.ws.close();
    }
  });

  it('refuses a flood of commands beyond what is in flight or allowed, answering every one', async () => {
    const client = await connect(demo.server.url);
    try {
      await waitFor(() => client.frame() !== undefined, 5000, 'a frame');
      const victim = client.frame()!.nodes.find((n) => !n.isLeader)!.id;
      const before = client.replies.length;
      // A kill takes a moment; the heals sent behind it pile up meanwhile, and most of them
      // are past what one socket may send at once.
      client.ws.send(JSON.stringify({ type: 'kill', node: victim, ref: 1 }));
      for (let i = 0; i < 100; i++) client.ws.send(JSON.stringify({ type: 'heal', ref: i + 2 }));
      await waitFor(() => client.replies.length - before === 101, 10_000, 'a reply to each');
      const replies = client.replies.slice(before);
      const inFlight = replies.filter((r) => r.error === 'too many commands in flight');
      const overRate = replies.filter((r) => /^too many commands: at most/.test(r.error ?? ''));
      expect(inFlight.length).toBeGreaterThan(0);
      expect(overRate.length).toBeGreaterThan(0);
      expect(
        replies.filter((r) => r.type === 'ok').length + inFlight.length + overRate.length,
      ).toBe(101);
      // Once the allowance has refilled a little, commands are carried out again.
      await waitFor(
        async () =>
          (await reply(client, JSON.stringify({ type: 'restart', node: victim }))).type === 'ok',
        10_000,
        'the restart to be carried out',
        200,
      );
    } finally {
      client.ws.close();
    }
  });

  it('closes a connection that sends a huge frame, and keeps serving others', async () => {
    const huge = await connect(demo.server.url);
    huge.ws.send('x'.repeat(1024 * 1024));
    await waitFor(() => huge.closeCode() !== undefined, 5000, 'the huge sender to be closed');
    expect(huge.closeCode()).toBe(1009);
    const other = await connect(demo.server.url);
    try {
      await waitFor(() => other.frame() !== undefined, 5000, 'a frame');
      expect((await reply(other, '{"type":"heal","ref":1}')).type).toBe('ok');
    } finally {
      other.ws.close();
    }
  });

  it('carries out good commands: a lossy link drops, kill and restart bring a member down and up', async () => {
    const client = await connect(demo.server.url);
    try {
      await waitFor(() => leaderOf(client.frame()) !== undefined, 20_000, 'a leader');
      const leader = leaderOf(client.frame())!.id;
      const other = client.frame()!.nodes.find((n) => n.id !== leader)!.id;
      const link = { type: 'link', from: leader, to: other, loss: 1, delayMs: 0 };
      expect((await reply(client, JSON.stringify(link))).type).toBe('ok');
      await waitFor(
        () =>
          (client.frame()?.faults.counts.find((c) => c.from === leader && c.to === other)
            ?.dropped ?? 0) > 3,
        10_000,
        'the lossy link to drop messages',
      );
      expect((await reply(client, '{"type":"heal"}')).type).toBe('ok');

      expect((await reply(client, JSON.stringify({ type: 'kill', node: other }))).type).toBe('ok');
      await waitFor(
        () => client.frame()?.nodes.find((n) => n.id === other)?.alive === false,
        5000,
        'the killed member to show down',
      );
      expect((await reply(client, JSON.stringify({ type: 'kill', node: other }))).error).toMatch(
        /is not running/,
      );
      expect((await reply(client, JSON.stringify({ type: 'restart', node: other }))).type).toBe(
        'ok',
      );
      await waitFor(
        () => client.frame()?.nodes.find((n) => n.id === other)?.leader === leader,
        20_000,
        'the restarted member to follow the leader again',
      );
      expect(client.frame()!.timeline.length + 1).toBeGreaterThan(0);
    } finally {
      client.ws.close();
    }
  });
});
