import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { type DiagServer, startDiagServer } from '../../src/diag/diag-server.js';
import { createElection, type Election } from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from './wait-for.js';

const servers: DiagServer[] = [];
const elections: Election[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(elections.splice(0).map((e) => e.stop()));
});

const TOKEN = 'correct-horse-battery-staple';

/** One raft node alone, leading, behind a diag server with the dashboard. */
async function leaderBehind(token?: string): Promise<{ node: Election; url: string }> {
  const node = createElection({
    protocol: 'raft',
    id: 'n1',
    peers: [{ id: 'n1', address: 'mem:1' }],
    transport: memoryTransport(new MemoryNetwork()),
  });
  elections.push(node);
  await node.start();
  await waitFor(() => node.isLeader, 10_000, 'n1 to lead');
  const server = await startDiagServer(node, {
    listen: '127.0.0.1:0',
    dashboard: true,
    ...(token === undefined ? {} : { token }),
  });
  servers.push(server);
  return { node, url: `http://127.0.0.1:${server.address.port}` };
}

const resign = (url: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/resign`, { method: 'POST', headers });

async function refusedCounts(url: string): Promise<unknown> {
  return ((await (await fetch(`${url}/diag`)).json()) as { httpRefused: unknown }).httpRefused;
}

/** The status the dashboard's WebSocket upgrade gets: 101 when it opens. */
function upgradeStatus(url: string, path: string, origin: string): Promise<number> {
  return new Promise((resolve) => {
    const ws = new WebSocket(`${url.replace('http:', 'ws:')}${path}`, { origin });
    ws.once('unexpected-response', (_req, res) => {
      resolve(res.statusCode ?? 0);
      ws.terminate();
    });
    ws.once('open', () => {
      resolve(101);
      ws.terminate();
    });
    ws.once('error', () => resolve(0));
  });
}

describe('diag server access', () => {
  it('refuses a POST /resign that another site made a browser send', async () => {
    const { node, url } = await leaderBehind();
    const evil = await resign(url, { origin: 'https://evil.example' });
    expect([evil.status, await evil.json()]).toEqual([
      403,
      { error: 'cross-origin request refused' },
    ]);
    // A rebound DNS name points at us but is still another origin than the one asked for.
    const rebound = await resign(url, { origin: 'http://attacker.example:1234' });
    expect(rebound.status).toBe(403);
    const fetchSite = await resign(url, { 'sec-fetch-site': 'cross-site' });
    expect(fetchSite.status).toBe(403);
    expect(node.isLeader).toBe(true);
    expect(await refusedCounts(url)).toEqual({ 'cross-origin': 3 });

    // The dashboard's own page and a command-line tool (no Origin at all) still may.
    const own = await resign(url, { origin: url, 'sec-fetch-site': 'same-origin' });
    expect(own.status).toBe(202);
    await waitFor(() => node.isLeader, 10_000, 'n1 to lead again');
    expect((await resign(url)).status).toBe(202);
  });

  it('with a token, needs it as a bearer for /resign and in the WebSocket URL', async () => {
    const { node, url } = await leaderBehind(TOKEN);
    expect((await resign(url)).status).toBe(401);
    expect((await resign(url, { authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await resign(url, { authorization: TOKEN })).status).toBe(401);
    const unauthorized = await resign(url, { authorization: 'Basic eDp5' });
    expect([unauthorized.status, unauthorized.headers.get('www-authenticate')]).toEqual([
      401,
      'Bearer',
    ]);
    // Reading stays open: /diag and the page carry nothing that changes state.
    expect((await fetch(`${url}/diag`)).status).toBe(200);
    expect((await fetch(`${url}/`)).status).toBe(200);
    expect(node.isLeader).toBe(true);

    expect(await upgradeStatus(url, '/ws', url)).toBe(401);
    expect(await upgradeStatus(url, '/ws?token=wrong', url)).toBe(401);
    expect(await upgradeStatus(url, `/ws?token=${TOKEN}`, 'http://evil.example')).toBe(403);
    expect(await upgradeStatus(url, `/ws?token=${TOKEN}`, url)).toBe(101);
    expect(await refusedCounts(url)).toEqual({ unauthorized: 6, 'cross-origin': 1 });

    expect((await resign(url, { authorization: `Bearer ${TOKEN}` })).status).toBe(202);
  });
});
