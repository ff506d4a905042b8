import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type DiagServer, startDiagServer } from '../../src/diag/diag-server.js';
import { HTTP_BOUNDS } from '../../src/http/http-bounds.js';
import { createElection, type Election } from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from './wait-for.js';

const servers: DiagServer[] = [];
const elections: Election[] = [];
const sockets: net.Socket[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(elections.splice(0).map((e) => e.stop()));
});

async function diagServer(): Promise<number> {
  const node = createElection({
    protocol: 'raft',
    id: 'n1',
    peers: [{ id: 'n1', address: 'mem:1' }],
    transport: memoryTransport(new MemoryNetwork()),
  });
  elections.push(node);
  await node.start();
  const server = await startDiagServer(node, { listen: '127.0.0.1:0', dashboard: true });
  servers.push(server);
  return server.address.port;
}

interface SlowClient {
  closed: () => boolean;
  answer: () => string;
}

const REQUEST = `GET /diag HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(100)}`;

/** Sends a request one byte a second from `from`, never finishing its headers. */
function slowClient(port: number, from: string): SlowClient {
  let closed = false;
  let answer = '';
  let sent = 0;
  const socket = net.connect({ host: '127.0.0.1', port, localAddress: from });
  sockets.push(socket);
  const timer = setInterval(() => {
    if (sent < REQUEST.length) socket.write(REQUEST[sent++]!);
  }, 1000);
  socket.on('connect', () => socket.write(REQUEST[sent++]!));
  socket.on('data', (chunk) => {
    answer += chunk.toString('latin1');
  });
  socket.on('error', () => {});
  socket.on('close', () => {
    closed = true;
    clearInterval(timer);
  });
  return { closed: () => closed, answer: () => answer };
}

async function diag(port: number): Promise<{ status: number; refused: Record<string, number> }> {
  const res = await fetch(`http://127.0.0.1:${port}/diag`);
  const doc = (await res.json()) as { httpRefused: Record<string, number> };
  return { status: res.status, refused: doc.httpRefused };
}

describe('diag server under slow-header clients', () => {
  it('caps what one address holds and times out the rest, while /diag still answers', async () => {
    const port = await diagServer();
    const flood = Array.from({ length: 300 }, () => slowClient(port, '127.0.0.2'));
    const refusedAtOnce = 300 - HTTP_BOUNDS.maxConnectionsPerAddress;
    await waitFor(
      () => flood.filter((c) => c.closed()).length >= refusedAtOnce,
      10_000,
      'the connections past the cap to be closed',
    );
    // Another address is not held up by the one flooding.
    const during = await diag(port);
    expect(during.status).toBe(200);
    expect(during.refused['connection-limit']).toBe(refusedAtOnce);
    await waitFor(
      () => flood.every((c) => c.closed()),
      HTTP_BOUNDS.headersTimeoutMs + 3 * HTTP_BOUNDS.checkIntervalMs + 5_000,
      'the slow clients to be timed out',
    );
    const after = await diag(port);
    expect(after.refused['request-timeout']).toBe(HTTP_BOUNDS.maxConnectionsPerAddress);
    expect(flood.filter((c) => c.answer().startsWith('HTTP/1.1 408')).length).toBe(
      HTTP_BOUNDS.maxConnectionsPerAddress,
    );
    const scrape = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
    expect(scrape).toContain(
      `electorate_http_refused_total{name="raft",id="n1",reason="request-timeout"} ${HTTP_BOUNDS.maxConnectionsPerAddress}\n`,
    );
    expect(scrape).toContain(
      `electorate_http_refused_total{name="raft",id="n1",reason="connection-limit"} ${refusedAtOnce}\n`,
    );
  });

  it('caps connections in all, and serves again once the flood is timed out', async () => {
    const port = await diagServer();
    // Ten addresses, each under its own cap, together past the total.
    const flood = Array.from({ length: 300 }, (_, i) =>
      slowClient(port, `127.0.0.${10 + (i % 10)}`),
    );
    const refusedAtOnce = 300 - HTTP_BOUNDS.maxConnections;
    await waitFor(
      () => flood.filter((c) => c.closed()).length >= refusedAtOnce,
      10_000,
      'the connections past the total cap to be closed',
    );
    await waitFor(
      () => flood.every((c) => c.closed()),
      HTTP_BOUNDS.headersTimeoutMs + 3 * HTTP_BOUNDS.checkIntervalMs + 5_000,
      'the slow clients to be timed out',
    );
    // The server's side of the last of them may close a moment after the client's.
    let after: Awaited<ReturnType<typeof diag>> | undefined;
    await waitFor(
      async () => {
        after = await diag(port).catch(() => undefined);
        return after !== undefined;
      },
      5_000,
      '/diag to answer again',
      100,
    );
    expect(after!.status).toBe(200);
    expect(after!.refused['connection-limit']).toBeGreaterThanOrEqual(refusedAtOnce);
    expect(after!.refused['request-timeout']).toBe(HTTP_BOUNDS.maxConnections);
  });
});
