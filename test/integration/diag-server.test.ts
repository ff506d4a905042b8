import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type DiagServer, startDiagServer } from '../../src/diag/diag-server.js';
import { createElection, type Election, type ElectionStatus } from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from './wait-for.js';

const servers: DiagServer[] = [];
const elections: Election[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(elections.splice(0).map((e) => e.stop()));
});

async function serve(election: Pick<Election, 'status' | 'resign'>): Promise<string> {
  const server = await startDiagServer(election, { listen: '127.0.0.1:0' });
  servers.push(server);
  return `http://127.0.0.1:${server.address.port}`;
}

async function cluster(size: number): Promise<{ nodes: Election[]; urls: string[] }> {
  const network = new MemoryNetwork();
  const peers = Array.from({ length: size }, (_, i) => ({ id: `n${i + 1}`, address: `mem:${i}` }));
  const nodes = peers.map((p) =>
    createElection({ protocol: 'raft', id: p.id, peers, transport: memoryTransport(network) }),
  );
  elections.push(...nodes);
  const urls = await Promise.all(nodes.map((n) => serve(n)));
  await Promise.all(nodes.map((n) => n.start()));
  await waitFor(() => nodes.some((n) => n.isLeader), 5000, 'a leader');
  const leader = nodes.find((n) => n.isLeader)!.status().id;
  await waitFor(() => nodes.every((n) => n.status().leader === leader), 2000, 'agreement');
  return { nodes, urls };
}

/** Sends raw bytes and returns whatever comes back before the server closes the socket. */
function rawRequest(url: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: hostname, port: Number(port) }, () => socket.write(bytes));
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
  });
}

describe('startDiagServer', () => {
  it('serves the contract fields first, in order, then the rest of status()', async () => {
    const { nodes, urls } = await cluster(3);
    const response = await fetch(`${urls[0]}/diag?pretty=1`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json');
    const doc = (await response.json()) as Record<string, unknown>;
    expect(Object.keys(doc).slice(0, 7)).toEqual([
      'id',
      'protocol',
      'role',
      'leader',
      'term',
      'members',
      'startedAt',
    ]);
    const status = nodes[0]!.status();
    expect(doc).toMatchObject({
      id: 'n1',
      protocol: 'raft',
      role: status.role,
      leader: status.leader,
      term: status.term,
      startedAt: status.startedAt,
      elections: expect.any(Number),
      messages: { sent: expect.any(Number), received: expect.any(Number) },
    });
    expect(doc.members).toHaveLength(3);
  });

  it('reports a null term rather than leaving the key out', async () => {
    const status: ElectionStatus = {
      id: 'x',
      protocol: 'raft',
      role: 'follower',
      leader: null,
      term: undefined,
      isLeader: false,
      leaseRemainingMs: null,
      members: [],
      startedAt: null,
      dropped: {},
      messages: { sent: 0, received: 0 },
      elections: 0,
      errors: 0,
    };
    const url = await serve({ status: () => status, resign: async () => {} });
    const doc = (await (await fetch(`${url}/diag`)).json()) as Record<string, unknown>;
    expect(doc).toHaveProperty('term', null);
    expect(doc).toHaveProperty('leader', null);
  });

  it('answers HEAD without a body, 404 for other paths and 405 with Allow for other methods', async () => {
    const { urls } = await cluster(1);
    const head = await fetch(`${urls[0]}/diag`, { method: 'HEAD' });
    expect([head.status, await head.text()]).toEqual([200, '']);
    for (const path of ['/', '/diag/', '/DIAG', '/diag.json', '/%']) {
      expect((await fetch(`${urls[0]}${path}`)).status).toBe(404);
    }
    const put = await fetch(`${urls[0]}/healthz`, { method: 'PUT', body: 'x'.repeat(100_000) });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD');
    const get = await fetch(`${urls[0]}/resign`);
    expect([get.status, get.headers.get('allow')]).toEqual([405, 'POST']);
  });

  it('survives malformed requests and keeps serving', async () => {
    const { urls } = await cluster(1);
    expect(await rawRequest(urls[0]!, 'NONSENSE\r\n\r\n')).toMatch(/^HTTP\/1\.1 400/);
    expect(await rawRequest(urls[0]!, `GET /diag HTTP/1.1\r\nX: ${'y'.repeat(20_000)}`)).toMatch(
      /^HTTP\/1\.1 4\d\d/,
    );
    expect((await fetch(`${urls[0]}/healthz`)).status).toBe(200);
  });

  it('turns a throwing status() into a 500, not a crash', async () => {
    const url = await serve({
      status: () => {
        throw new Error('boom');
      },
      resign: async () => {},
    });
    const response = await fetch(`${url}/diag`);
    expect([response.status, await response.text()]).toEqual([500, 'internal error: boom\n']);
  });

  it('hands leadership over on POST /resign to the leader, 409 elsewhere', async () => {
    const { nodes, urls } = await cluster(3);
    const leaderIndex = nodes.findIndex((n) => n.isLeader);
    const leader = nodes[leaderIndex]!.status();
    const follower = urls[(leaderIndex + 1) % 3]!;

    const refused = await fetch(`${follower}/resign`, { method: 'POST' });
    expect(refused.status).toBe(409);
    expect(await refused.json()).toEqual({ error: 'not the leader', leader: leader.id });

    const accepted = await fetch(`${urls[leaderIndex]}/resign`, { method: 'POST' });
    expect(accepted.status).toBe(202);
    expect(await accepted.json()).toEqual({ resigning: leader.id, term: leader.term });
    await waitFor(
      () => {
        const next = nodes[0]!.status().leader;
        return (
          next !== null && next !== leader.id && nodes.every((n) => n.status().leader === next)
        );
      },
      2000,
      'a new leader',
    );
  });

  it('reports 503 on /healthz once stopping, and close() ends keep-alive connections', async () => {
    const { nodes } = await cluster(1);
    const server = await startDiagServer(nodes[0]!, { listen: '127.0.0.1:0' });
    const url = `http://127.0.0.1:${server.address.port}`;
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
    server.markStopping();
    const health = await fetch(`${url}/healthz`);
    expect([health.status, await health.text()]).toEqual([503, 'stopping\n']);
    expect((await fetch(`${url}/diag`)).status).toBe(200);
    await server.close();
    await expect(fetch(`${url}/healthz`)).rejects.toThrow();
  });

  it('rejects a bad or busy listen address', async () => {
    const election = { status: () => ({}) as ElectionStatus, resign: async () => {} };
    await expect(startDiagServer(election, { listen: 'nowhere' })).rejects.toThrow(
      /invalid address "nowhere"/,
    );
    const url = await serve(election);
    await expect(startDiagServer(election, { listen: url.replace('http://', '') })).rejects.toThrow(
      /diag server cannot listen on 127\.0\.0\.1:\d+/,
    );
  });
});
