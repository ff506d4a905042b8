import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tcpTransport } from '../../transports/index.js';
import { type AttackedTrio, startAttackedTrio } from './attacked-trio.js';
import { type RawTcpClient, rawTcpClient, tcpFrame } from './raw-tcp-client.js';
import type { TestNode } from './transport-harness.js';
import { waitFor } from './wait-for.js';

let trio: AttackedTrio;
let ports: Record<string, number>;
let target: TestNode;
const clients: RawTcpClient[] = [];

const hello = (id: string): Buffer => tcpFrame({ v: 1, hello: id });
const wake = (id: string): Buffer => tcpFrame({ v: 1, wake: id });
const envelope = (from: string, msg: unknown): Buffer => tcpFrame({ v: 1, from, msg });

async function connect(): Promise<RawTcpClient> {
  const client = await rawTcpClient(ports.m!);
  clients.push(client);
  return client;
}

/** Runs `misbehave` and waits for exactly one more drop of `reason` on the target. */
const expectDrop: AttackedTrio['expectDrop'] = (reason, misbehave) =>
  trio.expectDrop(reason, misbehave);
const expectStillWorking = (): Promise<void> => trio.expectStillWorking();

beforeAll(async () => {
  trio = await startAttackedTrio((listen, attacked) =>
    tcpTransport(attacked ? { listen, handshakeTimeoutMs: 300, frameTimeoutMs: 300 } : { listen }),
  );
  ({ ports, target } = trio);
});

afterAll(() => {
  for (const client of clients) client.socket.destroy();
  trio?.stop();
});

describe('tcp transport with bad input', () => {
  it('drops random bytes (an absurd length prefix) and closes the connection', async () => {
    const client = await connect();
    const garbage = randomBytes(64);
    garbage[0] = garbage[0]! | 0x80;
    await expectDrop('oversize', () => void client.socket.write(garbage));
    await waitFor(client.closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('drops a frame of random bytes as malformed', async () => {
    const client = await connect();
    const body = randomBytes(64);
    body[0] = 0xff; // never valid UTF-8, so never JSON
    await expectDrop('malformed', () => void client.socket.write(tcpFrame(body)));
    await expectStillWorking();
  });

  it('drops a 2 MiB length prefix as oversize without waiting for the body', async () => {
    const client = await connect();
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(2 * 1024 * 1024, 0);
    await expectDrop('oversize', () => void client.socket.write(prefix));
    await waitFor(client.closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('drops well-framed payloads that are not JSON, or not an envelope', async () => {
    for (const body of [Buffer.from('not json {'), Buffer.alloc(0), Buffer.from('[1,2]')]) {
      const client = await connect();
      await expectDrop('malformed', () => void client.socket.write(tcpFrame(body)));
      await waitFor(client.closed, 2000, 'server to close the connection');
    }
    const client = await connect();
    await expectDrop('malformed', () => void client.socket.write(envelope('a', { n: 900001 })));
    await expectStillWorking();
  });

  it('drops a hello from an unknown id, or from a peer that should be dialed instead', async () => {
    for (const id of ['stranger', 'm', 'z']) {
      const client = await connect();
      const drop = await expectDrop('unknown-peer', () => void client.socket.write(hello(id)));
      expect(drop.from).toBeUndefined();
      await waitFor(client.closed, 2000, 'server to close the connection');
    }
    expect(target.received.some((r) => r.from === 'stranger')).toBe(false);
    await expectStillWorking();
  });

  it('drops a wake from an unknown id or from a peer that dials it, and takes one quietly from a peer it dials', async () => {
    for (const id of ['stranger', 'a']) {
      const client = await connect();
      const drop = await expectDrop('unknown-peer', () => void client.socket.write(wake(id)));
      expect(drop.from).toBeUndefined();
      await waitFor(client.closed, 2000, 'server to close the connection');
    }
    // m dials z: a wake from z is how a restarted z says so. Nothing is dropped or routed.
    const before = target.dropped.length;
    const client = await connect();
    client.socket.write(wake('z'));
    await waitFor(client.closed, 2000, 'server to close the wake connection');
    expect(target.dropped.length).toBe(before);
    // Once a connection has said hello, a wake on it is no envelope.
    const talking = await connect();
    talking.socket.write(hello('a'));
    await expectDrop('malformed', () => void talking.socket.write(wake('z')));
    await expectStillWorking();
  });

  it('drops envelopes whose from differs from the hello, and accepts honest ones', async () => {
    const client = await connect();
    client.socket.write(hello('a'));
    const drop = await expectDrop(
      'unknown-peer',
      () => void client.socket.write(envelope('b', { n: 900005 })),
    );
    expect(drop.from).toBe('a');
    expect(target.got('b', 900005)).toBe(false);
    // The connection itself is still authenticated as 'a' and usable.
    client.socket.write(envelope('a', { n: 900006 }));
    await waitFor(() => target.got('a', 900006), 2000, 'honest envelope from a');
    expect(client.closed()).toBe(false);
    await expectStillWorking();
  });

  it('drops a message that fails the protocol decoder as invalid', async () => {
    const client = await connect();
    client.socket.write(hello('a'));
    const drop = await expectDrop(
      'invalid',
      () => void client.socket.write(envelope('a', { x: 1 })),
    );
    expect(drop.from).toBe('a');
    await expectStillWorking();
  });

  it('parses frames split across writes and several frames in one write', async () => {
    const client = await connect();
    const frames = Buffer.concat([
      hello('a'),
      envelope('a', { n: 900011 }),
      envelope('a', { n: 900012 }),
    ]);
    client.socket.write(frames);
    const split = envelope('a', { n: 900013 });
    for (const piece of [split.subarray(0, 2), split.subarray(2, 9), split.subarray(9)]) {
      client.socket.write(piece);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await waitFor(
      () => [900011, 900012, 900013].every((n) => target.got('a', n)),
      2000,
      'all frames',
    );
  });

  it('times out a connection that never says hello', async () => {
    const client = await connect();
    await expectDrop('timeout', () => {});
    await waitFor(client.closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('times out a frame that trickles in one byte every 100 ms', async () => {
    const client = await connect();
    client.socket.write(hello('a'));
    const slow = envelope('a', { n: 900021 });
    let sent = 0;
    const drip = setInterval(() => {
      if (client.closed() || sent >= slow.length) clearInterval(drip);
      else client.socket.write(slow.subarray(sent, ++sent));
    }, 100);
    try {
      const drop = await expectDrop('timeout', () => {});
      expect(drop.from).toBe('a');
      await waitFor(client.closed, 2000, 'server to close the connection');
    } finally {
      clearInterval(drip);
    }
    expect(target.got('a', 900021)).toBe(false);
    await expectStillWorking();
  });

  it('lets a new connection for a peer replace the old one, and counts each one replaced', async () => {
    const first = await connect();
    first.socket.write(hello('a'));
    first.socket.write(envelope('a', { n: 900031 }));
    await waitFor(() => target.got('a', 900031), 2000, 'first connection');
    const second = await connect();
    const drop = await expectDrop('replaced', () => void second.socket.write(hello('a')));
    expect(drop.from).toBe('a');
    await waitFor(first.closed, 2000, 'old connection to be closed');
    const received = new Promise<Buffer>((resolve) => second.socket.once('data', resolve));
    target.send('a', { n: 900032 });
    const bytes = await received;
    expect(JSON.parse(bytes.subarray(4).toString())).toEqual({
      v: 1,
      from: 'm',
      msg: { n: 900032 },
    });
  });

  it('reported nothing but drops and never an error', () => {
    expect(target.errors).toEqual([]);
    expect(trio.goodSmaller.dropped).toEqual([]);
    expect(trio.goodLarger.dropped).toEqual([]);
  });
});
