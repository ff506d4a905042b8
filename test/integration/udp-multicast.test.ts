import { randomBytes, randomInt } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor, sendTo, setup } from 'xstate';
import { type BullyMessage, decodeBullyMessage } from '../../machines/bully/messages.js';
import { sealDatagram } from '../../transports/datagram-envelope.js';
import {
  type DropReason,
  encodeMultibully,
  type PeerAddress,
  type TransportCommand,
  type TransportEvent,
  type UdpMulticastTransportOptions,
  udpMulticastTransport,
} from '../../transports/index.js';
import { deliver, startNode, type TestNode, waitReady } from './transport-harness.js';
import { waitFor } from './wait-for.js';

const IFACE = '127.0.0.1';
const SECRET = 'udp multicast test secret';

/** Everything a test started, closed after it whatever the outcome. */
const started: Array<{ stop(): void }> = [];
const sockets: Socket[] = [];

afterEach(() => {
  for (const node of started.splice(0)) node.stop();
  for (const socket of sockets.splice(0)) socket.close();
});

/** A group of our own and a port nobody was using a moment ago, so tests cannot hear each other. */
async function freshGroup(): Promise<{ host: string; port: number; text: string }> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '0.0.0.0', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(resolve));
  const host = `239.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
  return { host, port, text: `${host}:${port}` };
}

type Group = Awaited<ReturnType<typeof freshGroup>>;

function start(
  id: string,
  options: UdpMulticastTransportOptions,
  peers: PeerAddress[] = [],
): TestNode {
  const node = startNode(udpMulticastTransport({ iface: IFACE, ...options }), id, peers);
  started.push(node);
  return node;
}

/** A node speaking Bully messages, for the multibully format (the shared harness speaks `{ n }`). */
interface BullyNode {
  readonly received: Array<{ from: string; msg: BullyMessage }>;
  readonly dropped: DropReason[];
  readonly errors: Error[];
  ready: boolean;
  send(to: string, msg: unknown): void;
  stop(): void;
}

function startBully(id: string, options: UdpMulticastTransportOptions): BullyNode {
  const node: BullyNode = {
    received: [],
    dropped: [],
    errors: [],
    ready: false,
    send: (to, msg) => actor.send({ type: 'send', to, msg }),
    stop: () => actor.stop(),
  };
  const machine = setup({
    types: { events: {} as TransportEvent | TransportCommand },
    actors: {
      transport: udpMulticastTransport({ iface: IFACE, format: 'multibully', ...options }),
    },
  }).createMachine({
    invoke: {
      src: 'transport',
      id: 'transport',
      input: { id, peers: [], decode: decodeBullyMessage },
    },
    on: {
      send: { actions: sendTo('transport', ({ event }) => event) },
      receive: {
        actions: ({ event }) =>
          node.received.push({ from: event.from, msg: event.msg as BullyMessage }),
      },
      'transport.ready': {
        actions: () => {
          node.ready = true;
        },
      },
      'transport.error': { actions: ({ event }) => node.errors.push(event.error) },
      'transport.dropped': { actions: ({ event }) => node.dropped.push(event.reason) },
    },
  });
  const actor = createActor(machine);
  actor.start();
  started.push(node);
  return node;
}

/** A plain socket that sends whatever bytes it is given to the group. */
async function rawSender(group: Group): Promise<(datagram: Buffer) => Promise<void>> {
  const socket = createSocket('udp4');
  sockets.push(socket);
  await new Promise<void>((resolve) => socket.bind(0, IFACE, resolve));
  socket.setMulticastInterface(IFACE);
  return (datagram) =>
    new Promise((resolve, reject) =>
      socket.send(datagram, group.port, group.host, (error) => (error ? reject(error) : resolve())),
    );
}

/** A plain group member that records every datagram, to capture one for replaying. */
async function rawListener(group: Group): Promise<Buffer[]> {
  const heard: Buffer[] = [];
  const socket = createSocket({ type: 'udp4', reuseAddr: true });
  sockets.push(socket);
  socket.on('message', (datagram) => heard.push(datagram));
  await new Promise<void>((resolve) => socket.bind(group.port, '0.0.0.0', resolve));
  socket.addMembership(group.host, IFACE);
  return heard;
}

/** Runs `misbehave` and waits for exactly one more drop, of `reason`, on each node. */
async function expectDrop(
  nodes: TestNode[],
  reason: DropReason,
  misbehave: () => Promise<void>,
): Promise<void> {
  const before = nodes.map((node) => node.dropped.length);
  await misbehave();
  await waitFor(
    () => nodes.every((node, i) => node.dropped.length > before[i]!),
    3000,
    `a '${reason}' drop`,
  );
  for (const [i, node] of nodes.entries()) {
    expect(node.dropped.slice(before[i]).map((d) => d.reason)).toEqual([reason]);
  }
}

const udpHandles = (): number =>
  process.getActiveResourcesInfo().filter((name) => name === 'UDPWrap').length;

const pause = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('udp multicast transport, electorate format', () => {
  it.each([
    ['unsigned', {}],
    ['signed', { secret: SECRET, cluster: 'blue' }],
  ])('three %s nodes in one group exchange messages', async (_label, extra) => {
    const group = await freshGroup();
    const [a, b, c] = ['a', 'b', 'c'].map((id) => start(id, { group: group.text, ...extra }));
    await waitReady(a!, b!, c!);
    for (const [from, to] of [
      [a, b],
      [b, c],
      [c, a],
      [b, a],
    ] as const) {
      await deliver(from!, to!);
    }
    // A broadcast reaches everyone else exactly once, and never comes back to its sender.
    a!.send('*', { n: -1 });
    await waitFor(() => b!.got('a', -1) && c!.got('a', -1), 3000, 'the broadcast');
    await pause(100);
    for (const node of [a!, b!, c!]) {
      expect(node.received.filter((r) => r.from === node.id)).toEqual([]);
      expect(node.dropped).toEqual([]);
      expect(node.errors).toEqual([]);
    }
    for (const node of [b!, c!]) {
      const copies = node.received.filter((r) => r.from === 'a' && r.msg !== null);
      expect(copies.filter((r) => (r.msg as { n: number }).n === -1)).toHaveLength(1);
    }
  });

  it.each([
    ['unsigned', {}],
    ['signed', { secret: SECRET, cluster: 'blue' }],
  ])(
    'a %s message for one member reaches it alone, though the whole group hears the datagram',
    async (_label, extra) => {
      const group = await freshGroup();
      const [a, b, c] = ['a', 'b', 'c'].map((id) => start(id, { group: group.text, ...extra }));
      await waitReady(a!, b!, c!);
      await deliver(a!, b!);
      a!.send('b', { n: -2 });
      // Sent after it from the same socket: once c has this, it has had the chance to see -2.
      a!.send('*', { n: -3 });
      await waitFor(() => b!.got('a', -2) && b!.got('a', -3) && c!.got('a', -3), 3000, 'both');
      await pause(100);
      expect(c!.got('a', -2)).toBe(false);
      // Not for c is not bad input: nothing is counted as dropped.
      expect(c!.dropped).toEqual([]);
    },
  );

  it('does not send what the envelope cannot carry', async () => {
    const group = await freshGroup();
    const [a, b] = ['a', 'b'].map((id) => start(id, { group: group.text }));
    await waitReady(a!, b!);
    a!.send('*', 10n);
    a!.send('*', undefined);
    await deliver(a!, b!);
    expect(b!.received).toHaveLength(1);
    expect(a!.errors).toEqual([]);
  });

  it('accepts senders outside the peer list unless membership is closed', async () => {
    const group = await freshGroup();
    const peers = [{ id: 'b', address: '' }];
    const open = start('open', { group: group.text }, peers);
    const closed = start('closed', { group: group.text, closedMembership: true }, peers);
    const b = start('b', { group: group.text });
    const stranger = start('x', { group: group.text });
    await waitReady(open, closed, b, stranger);
    await deliver(b, closed);
    await deliver(stranger, open);
    const before = closed.dropped.length;
    stranger.send('*', { n: -3 });
    await waitFor(() => closed.dropped.length > before, 3000, 'the stranger to be dropped');
    expect(closed.dropped.slice(before)).toEqual([{ reason: 'unknown-peer', from: 'x' }]);
    expect(closed.received.some((r) => r.from === 'x')).toBe(false);
  });

  it('drops bad datagrams with the right reason and keeps working', async () => {
    const group = await freshGroup();
    const options = { group: group.text, secret: SECRET, cluster: 'blue' };
    const a = start('a', options);
    const b = start('b', options);
    await waitReady(a, b);
    const send = await rawSender(group);
    const heard = await rawListener(group);
    const stillWorking = async () => {
      await deliver(a, b);
      await deliver(b, a);
    };
    await stillWorking();
    const seal = (msg: unknown, extra: { cluster?: string; secret?: Buffer; ts?: number } = {}) =>
      sealDatagram(msg, { cluster: 'blue', from: 'x', secret: Buffer.from(SECRET), ...extra })!;

    const garbage = randomBytes(64);
    garbage[0] = 0xff;
    const cases: Array<[DropReason, Buffer]> = [
      ['malformed', garbage],
      ['malformed', seal({ n: 1 }).subarray(0, 40)],
      ['malformed', Buffer.alloc(65_507, 0x7b)],
      ['malformed', encodeMultibully({ type: 'election', pid: '1', address: '10.0.0.1' })],
      ['unknown-peer', seal({ n: 1 }, { cluster: 'green' })],
      ['unauthenticated', seal({ n: 1 }, { secret: Buffer.from('not the secret') })],
      ['unauthenticated', sealDatagram({ n: 1 }, { cluster: 'blue', from: 'x' })!],
      ['unauthenticated', seal({ n: 1 }, { ts: Date.now() - 60_000 })],
      ['unauthenticated', seal({ n: 1 }, { ts: Date.now() + 60_000 })],
      ['invalid', seal({ not: 'a test message' })],
    ];
    for (const [reason, datagram] of cases) {
      await expectDrop([a, b], reason, () => send(datagram));
      await stillWorking();
    }

    // A valid datagram captured off the group is accepted once, then refused as a replay.
    const from = heard.length;
    b.send('*', { n: -4 });
    await waitFor(() => a.got('b', -4) && heard.length > from, 3000, 'a datagram to capture');
    const captured = heard.slice(from).find((d) => d.includes('"n":-4'));
    expect(captured).toBeDefined();
    await expectDrop([a], 'unauthenticated', () => send(captured!));
    const copies = a.received.filter((r) => (r.msg as { n: number }).n === -4);
    expect(copies).toEqual([{ from: 'b', msg: { n: -4, decoded: true } }]);
    await stillWorking();
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('drops datagrams over maxDatagramBytes as oversize', async () => {
    const group = await freshGroup();
    const small = start('small', { group: group.text, maxDatagramBytes: 1024 });
    const b = start('b', { group: group.text });
    await waitReady(small, b);
    const send = await rawSender(group);
    const big = sealDatagram(
      { n: 1, pad: 'x'.repeat(2000) },
      { cluster: 'electorate', from: 'x' },
    )!;
    await expectDrop([small], 'oversize', () => send(big));
    // Nor does it send one its peers, configured alike, would drop.
    small.send('*', { n: 2, pad: 'x'.repeat(2000) });
    await deliver(small, b);
    expect(b.received.filter((r) => r.from === 'small')).toHaveLength(1);
  });
});

describe('udp multicast transport, multibully format', () => {
  const bully = (type: BullyMessage['type'], pid: string, address = '127.0.0.1') => ({
    type,
    pid,
    address,
  });

  it('three nodes exchange Bully messages, each named by IP and pid', async () => {
    const group = await freshGroup();
    const one = startBully('one', { group: group.text, pid: '1', address: '127.0.0.1' });
    const two = startBully('two', { group: group.text, pid: '2', address: '127.0.0.1' });
    // Configured with neither pid nor address: it knows itself by what it sends.
    const three = startBully('three', { group: group.text });
    const nodes = [one, two, three];
    await waitFor(() => nodes.every((n) => n.ready), 3000, 'transports to be ready');

    one.send('*', bully('election', '1'));
    two.send('*', bully('ok', '2'));
    three.send('*', bully('coordinator', '3'));
    const heard = (node: BullyNode, from: string) => node.received.some((r) => r.from === from);
    await waitFor(
      () =>
        heard(one, '127.0.0.1:2') &&
        heard(one, '127.0.0.1:3') &&
        heard(two, '127.0.0.1:1') &&
        heard(two, '127.0.0.1:3') &&
        heard(three, '127.0.0.1:1') &&
        heard(three, '127.0.0.1:2'),
      3000,
      'every node to hear the other two',
    );
    await pause(100);
    expect(one.received.find((r) => r.from === '127.0.0.1:3')?.msg).toEqual(
      bully('coordinator', '3'),
    );
    expect(heard(one, '127.0.0.1:1')).toBe(false);
    expect(heard(two, '127.0.0.1:2')).toBe(false);
    expect(heard(three, '127.0.0.1:3')).toBe(false);
    for (const node of nodes) {
      expect(node.received).toHaveLength(2);
      expect(node.dropped).toEqual([]);
      expect(node.errors).toEqual([]);
    }
  });

  it('silently sends nothing for messages the format cannot carry', async () => {
    const group = await freshGroup();
    const one = startBully('one', { group: group.text, pid: '1', address: '127.0.0.1' });
    const two = startBully('two', { group: group.text, pid: '2', address: '127.0.0.1' });
    await waitFor(() => one.ready && two.ready, 3000, 'transports to be ready');
    one.send('*', { n: 1 });
    one.send('*', bully('election', '1', 'node-one.example'));
    one.send('*', bully('election', '-1'));
    one.send('two', bully('ok', '1'));
    await waitFor(() => two.received.length > 0, 3000, 'the one valid message');
    await pause(100);
    expect(two.received).toEqual([{ from: '127.0.0.1:1', msg: bully('ok', '1') }]);
    expect([...one.errors, ...two.dropped]).toEqual([]);
  });

  it('hears a node of the Go library, and drops bad datagrams as malformed', async () => {
    const group = await freshGroup();
    const one = startBully('one', { group: group.text, pid: '1', address: '127.0.0.1' });
    const two = startBully('two', { group: group.text, pid: '2', address: '127.0.0.1' });
    await waitFor(() => one.ready && two.ready, 3000, 'transports to be ready');
    const send = await rawSender(group);

    const goText = '2|10.0.0.9|99|';
    await send(Buffer.from(goText.padEnd(128, '#')));
    await waitFor(() => one.received.length > 0, 3000, 'the Go node');
    expect(one.received).toEqual([
      { from: '10.0.0.9:99', msg: bully('coordinator', '99', '10.0.0.9') },
    ]);

    const valid = encodeMultibully(bully('election', '7', '10.0.0.7'));
    const cases = [
      randomBytes(128),
      valid.subarray(0, 100),
      Buffer.alloc(65_507, 0x23),
      Buffer.from('9|10.0.0.7|7|'.padEnd(128, '#')),
      sealDatagram(bully('election', '7', '10.0.0.7'), { cluster: 'electorate', from: 'x' })!,
    ];
    for (const datagram of cases) {
      const before = [one.dropped.length, two.dropped.length];
      await send(datagram);
      await waitFor(
        () => one.dropped.length > before[0]! && two.dropped.length > before[1]!,
        3000,
        'a malformed drop',
      );
      expect([...one.dropped.slice(before[0]), ...two.dropped.slice(before[1])]).toEqual([
        'malformed',
        'malformed',
      ]);
    }
    one.send('*', bully('coordinator', '1'));
    await waitFor(() => two.received.some((r) => r.from === '127.0.0.1:1'), 3000, 'one -> two');
  });
});

describe('udp multicast transport configuration and lifecycle', () => {
  it('refuses a secret with the multibully format, naming why', () => {
    expect(() => udpMulticastTransport({ format: 'multibully', secret: 's' })).toThrow(
      new TypeError(
        "the multibully wire format has no authentication: a secret cannot be used with format 'multibully'",
      ),
    );
  });

  it.each<[string, UdpMulticastTransportOptions]>([
    ['a unicast group', { group: '10.0.0.1:9999' }],
    ['224.0.0.0', { group: '224.0.0.0:9999' }],
    ['a group without a port', { group: '239.1.1.1' }],
    ['a hostname interface', { iface: 'lo' }],
    ['a ttl over 255', { ttl: 256 }],
    ['a fractional ttl', { ttl: 1.5 }],
    ['an empty cluster', { cluster: '' }],
    ['an empty secret', { secret: '' }],
    ['a zero maxAgeMs', { maxAgeMs: 0 }],
    ['maxDatagramBytes past what UDP carries', { maxDatagramBytes: 65_508 }],
    ['a pid that is not uint64', { format: 'multibully', pid: '-1' }],
    ['an address that is not IPv4', { format: 'multibully', address: 'host.example' }],
  ])('refuses %s at construction', (_label, options) => {
    expect(() => udpMulticastTransport(options)).toThrow();
  });

  it('accepts the reserved 224.0.0.0 for the multibully format, which stock nodes join', () => {
    expect(() =>
      udpMulticastTransport({ format: 'multibully', group: '224.0.0.0:9999' }),
    ).not.toThrow();
  });

  it('reports a port it cannot bind as a transport error', async () => {
    const group = await freshGroup();
    // Bound without SO_REUSEADDR, this socket keeps the port to itself.
    const holder = createSocket('udp4');
    sockets.push(holder);
    await new Promise<void>((resolve) => holder.bind(group.port, '0.0.0.0', resolve));
    const node = start('a', { group: group.text });
    await waitFor(() => node.errors.length > 0, 3000, 'a transport error');
    expect(node.errors[0]!.message).toBe(
      `cannot bind udp multicast socket to 0.0.0.0:${group.port}`,
    );
    expect((node.errors[0]!.cause as NodeJS.ErrnoException).code).toBe('EADDRINUSE');
    expect(node.ready).toBe(false);
  });

  it('reports an interface it cannot join the group on as a transport error', async () => {
    const group = await freshGroup();
    const node = start('a', { group: group.text, iface: '192.0.2.1' });
    await waitFor(() => node.errors.length > 0, 3000, 'a transport error');
    expect(node.errors[0]!.message).toBe(`cannot join multicast group ${group.host} on 192.0.2.1`);
    expect(node.ready).toBe(false);
  });

  it('releases its socket when stopped, even before it was ready', async () => {
    const group = await freshGroup();
    // Sockets closed by earlier tests release their handles a moment after closing.
    await pause(50);
    const baseline = udpHandles();

    const node = start('a', { group: group.text });
    await waitReady(node);
    expect(udpHandles()).toBe(baseline + 1);
    node.stop();
    await waitFor(() => udpHandles() === baseline, 3000, 'the socket to close');

    // Only possible once no socket holds the port, since this one does not share it.
    const exclusive = createSocket('udp4');
    await new Promise<void>((resolve, reject) => {
      exclusive.once('error', reject);
      exclusive.bind(group.port, '0.0.0.0', resolve);
    });
    await new Promise<void>((resolve) => exclusive.close(resolve));

    start('early', { group: group.text }).stop();
    await pause(50);
    await waitFor(() => udpHandles() === baseline, 3000, 'the early-stopped socket to close');

    const a = start('a', { group: group.text });
    const b = start('b', { group: group.text });
    await waitReady(a, b);
    await deliver(a, b);
    a.stop();
    b.stop();
    await waitFor(() => udpHandles() === baseline, 3000, 'both sockets to close');
  });
});
