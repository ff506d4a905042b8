import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type StreamTransportOptions,
  type TransportLogic,
  tcpTransport,
  wsTransport,
} from '../../transports/index.js';
import { freePorts } from './free-port.js';
import { deliver, peerList, startNode, type TestNode, waitReady } from './transport-harness.js';
import { waitFor } from './wait-for.js';

const transports: Array<[string, (options: StreamTransportOptions) => TransportLogic]> = [
  ['tcp', tcpTransport],
  ['ws', wsTransport],
];

function listenOn(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port }, () => server.close(() => resolve()));
  });
}

/** Resource kinds that would keep the process alive; the baseline is what the runner holds. */
function liveHandles(): number {
  return process
    .getActiveResourcesInfo()
    .filter((kind) => kind === 'TCPSocketWrap' || kind === 'TCPServerWrap' || kind === 'Timeout')
    .length;
}

describe.each(transports)('%s transport', (_name, transport) => {
  const running: TestNode[] = [];
  const start = (
    id: string,
    ports: Record<string, number>,
    options: Partial<StreamTransportOptions> = {},
  ): TestNode => {
    const node = startNode(
      transport({ listen: `127.0.0.1:${ports[id]}`, ...options }),
      id,
      peerList(ports),
    );
    running.push(node);
    return node;
  };

  afterEach(() => {
    for (const node of running.splice(0)) node.stop();
  });

  it('exchanges messages among three nodes, both ways and by broadcast', async () => {
    const [pa, pb, pc] = await freePorts(3);
    const ports = { a: pa!, b: pb!, c: pc! };
    const a = start('a', ports);
    const b = start('b', ports);
    const c = start('c', ports);
    await waitReady(a, b, c);
    for (const [from, to] of [
      [a, b],
      [a, c],
      [b, c],
      [c, a],
      [c, b],
      [b, a],
    ] as const) {
      await deliver(from, to);
    }

    c.send('*', { n: 1001 });
    a.send('*', { n: 1002 });
    await waitFor(() => a.got('c', 1001) && b.got('c', 1001), 2000, 'broadcast from c');
    await waitFor(() => b.got('a', 1002) && c.got('a', 1002), 2000, 'broadcast from a');
    expect(c.got('c', 1001)).toBe(false);
    expect(a.got('a', 1002)).toBe(false);
    expect(b.received.find((r) => r.from === 'c')?.msg).toMatchObject({ decoded: true });

    // Unknown targets, self, and unserialisable messages are dropped without throwing.
    a.send('nobody', { n: 1 });
    a.send('a', { n: 1 });
    a.send('b', { n: 10n });
    a.send('b', undefined);
    await deliver(a, b);
    expect([a, b, c].flatMap((node) => node.errors)).toEqual([]);
    expect([a, b, c].flatMap((node) => node.dropped)).toEqual([]);
  });

  it('delivers messages queued for a peer that is not up yet', async () => {
    const [pa, pb] = await freePorts(2);
    const ports = { a: pa!, b: pb! };
    const b = start('b', ports);
    await waitReady(b);
    // b may only reach the smaller a once a dials in, so this waits in b's queue.
    b.send('a', { n: 7 });
    const a = start('a', ports);
    await waitFor(() => a.got('b', 7), 3000, 'queued message');
  });

  it.each([
    ['the larger id', 'b'],
    ['the smaller id', 'a'],
  ])('reconnects when %s restarts on the same port', async (_label, restarting) => {
    const [pa, pb] = await freePorts(2);
    const ports = { a: pa!, b: pb! };
    const nodes: Record<string, TestNode> = { a: start('a', ports), b: start('b', ports) };
    await waitReady(nodes.a!, nodes.b!);
    await deliver(nodes.a!, nodes.b!);
    await deliver(nodes.b!, nodes.a!);

    nodes[restarting]!.stop();
    nodes[restarting] = start(restarting, ports);
    await waitReady(nodes[restarting]!);
    await deliver(nodes.a!, nodes.b!, 5000);
    await deliver(nodes.b!, nodes.a!, 5000);
    expect(nodes.a!.errors).toEqual([]);
    expect(nodes.b!.errors).toEqual([]);
  });

  it('wakes the smaller id when the larger restarts, however long its dialer would back off', async () => {
    const [pa, pb] = await freePorts(2);
    const ports = { a: pa!, b: pb! };
    // a dials b; after losing b it would wait a random part of ten minutes to try again.
    const patient = { backoff: { baseMs: 600_000, capMs: 600_000 } };
    let b = start('b', ports);
    await waitReady(b);
    const a = start('a', ports, patient);
    await waitReady(a);
    await deliver(a, b);
    b.stop();
    // a notices the closed connection and starts backing off.
    await new Promise((resolve) => setTimeout(resolve, 200));
    b = start('b', ports);
    await waitReady(b);
    await deliver(b, a, 3000);
    await deliver(a, b, 3000);
    expect([a, b].flatMap((node) => node.dropped)).toEqual([]);
    expect([a, b].flatMap((node) => node.errors)).toEqual([]);
  });

  it('reports a listen failure naming the address', async () => {
    const [port] = await freePorts(1);
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen({ host: '127.0.0.1', port }, resolve));
    try {
      const node = start('a', { a: port! });
      await waitFor(() => node.errors.length > 0, 2000, 'transport.error');
      expect(node.errors[0]!.message).toContain(`127.0.0.1:${port}`);
      expect(node.ready).toBe(false);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('rejects unusable options when the transport is created', () => {
    expect(() => transport({ listen: 'localhost' })).toThrow(/HOST:PORT/);
    expect(() => transport({ listen: '127.0.0.1:1', maxFrameBytes: 0 })).toThrow(/maxFrameBytes/);
  });

  it('releases its port and handles when stopped', async () => {
    const baseline = liveHandles();
    const [pa, pb] = await freePorts(2);
    const ports = { a: pa!, b: pb! };
    const a = start('a', ports);
    const b = start('b', ports);
    await waitReady(a, b);
    await deliver(a, b);
    await deliver(b, a);
    a.stop();
    b.stop();
    // Nothing is reported after stop, and both ports are free again at once.
    const reported = a.received.length + b.received.length + a.dropped.length + b.dropped.length;
    await listenOn(pa!);
    await listenOn(pb!);
    await waitFor(() => liveHandles() <= baseline, 2000, 'sockets and timers to be released');
    expect(a.received.length + b.received.length + a.dropped.length + b.dropped.length).toBe(
      reported,
    );
  });
});
