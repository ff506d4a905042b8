import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { WS_PATH, wsTransport } from '../../transports/index.js';
import { type AttackedTrio, startAttackedTrio } from './attacked-trio.js';
import { type RawTcpClient, rawTcpClient } from './raw-tcp-client.js';
import { maskedTextFrame, rawWsUpgrade } from './raw-ws-client.js';
import type { TestNode } from './transport-harness.js';
import { waitFor } from './wait-for.js';

let trio: AttackedTrio;
let ports: Record<string, number>;
let target: TestNode;
const sockets: RawTcpClient[] = [];
const websockets: WebSocket[] = [];

const hello = (id: string): string => JSON.stringify({ v: 1, hello: id });
const envelope = (from: string, msg: unknown): string => JSON.stringify({ v: 1, from, msg });

interface RawWs {
  ws: WebSocket;
  closed: () => boolean;
  closeCode: () => number | undefined;
}

function connectWs(path = WS_PATH): Promise<RawWs> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${ports.m}${path}`, { maxPayload: 8 * 1024 * 1024 });
    websockets.push(ws);
    let code: number | undefined;
    ws.on('close', (c) => {
      code = c;
    });
    ws.once('open', () => {
      ws.on('error', () => {});
      resolve({ ws, closed: () => code !== undefined, closeCode: () => code });
    });
    ws.once('error', reject);
  });
}

async function connectTcp(): Promise<RawTcpClient> {
  const client = await rawTcpClient(ports.m!);
  sockets.push(client);
  return client;
}

const expectDrop: AttackedTrio['expectDrop'] = (reason, misbehave) =>
  trio.expectDrop(reason, misbehave);
const expectStillWorking = (): Promise<void> => trio.expectStillWorking();

beforeAll(async () => {
  trio = await startAttackedTrio((listen, attacked) =>
    wsTransport(attacked ? { listen, handshakeTimeoutMs: 300, frameTimeoutMs: 300 } : { listen }),
  );
  ({ ports, target } = trio);
});

afterAll(() => {
  for (const client of sockets) client.socket.destroy();
  for (const ws of websockets) ws.terminate();
  trio?.stop();
});

describe('ws transport with bad input', () => {
  it('drops random bytes instead of an HTTP upgrade', async () => {
    const client = await connectTcp();
    await expectDrop('malformed', () => void client.socket.write(randomBytes(256)));
    await waitFor(client.closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('drops a WebSocket message of random bytes as malformed', async () => {
    const { ws, closed } = await connectWs();
    const body = randomBytes(64);
    body[0] = 0xff;
    await expectDrop('malformed', () => ws.send(body));
    await waitFor(closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('drops a 2 MiB message as oversize and closes with 1009', async () => {
    const { ws, closeCode } = await connectWs();
    ws.send(hello('a'));
    const drop = await expectDrop('oversize', () => ws.send(Buffer.alloc(2 * 1024 * 1024, 0x20)));
    expect(drop.from).toBe('a');
    await waitFor(() => closeCode() === 1009, 2000, 'close code 1009');
    await expectStillWorking();
  });

  it('drops messages that are not JSON, or not an envelope', async () => {
    for (const body of ['not json {', '[1,2]', envelope('a', { n: 900001 })]) {
      const { ws, closed } = await connectWs();
      await expectDrop('malformed', () => ws.send(body));
      await waitFor(closed, 2000, 'server to close the connection');
    }
    await expectStillWorking();
  });

  it('drops a hello from an unknown id', async () => {
    const { ws, closed } = await connectWs();
    const drop = await expectDrop('unknown-peer', () => ws.send(hello('stranger')));
    expect(drop.from).toBeUndefined();
    await waitFor(closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('drops envelopes whose from differs from the hello, and accepts honest ones', async () => {
    const { ws, closed } = await connectWs();
    ws.send(hello('a'));
    const drop = await expectDrop('unknown-peer', () => ws.send(envelope('b', { n: 900005 })));
    expect(drop.from).toBe('a');
    expect(target.got('b', 900005)).toBe(false);
    // Binary messages are as good as text ones.
    ws.send(Buffer.from(envelope('a', { n: 900006 })));
    await waitFor(() => target.got('a', 900006), 2000, 'honest envelope from a');
    expect(closed()).toBe(false);
    await expectStillWorking();
  });

  it('drops a message that fails the protocol decoder as invalid', async () => {
    const { ws } = await connectWs();
    ws.send(hello('a'));
    const drop = await expectDrop('invalid', () => ws.send(envelope('a', { x: 1 })));
    expect(drop.from).toBe('a');
    await expectStillWorking();
  });

  it('refuses other paths and plain HTTP requests', async () => {
    await expectDrop('malformed', () =>
      connectWs('/elsewhere').then(
        () => expect.fail('upgrade on a wrong path succeeded'),
        () => {},
      ),
    );
    const client = await connectTcp();
    const response = new Promise<string>((resolve) =>
      client.socket.once('data', (data) => resolve(data.toString())),
    );
    await expectDrop(
      'malformed',
      () => void client.socket.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'),
    );
    expect(await response).toMatch(/^HTTP\/1\.1 426/);
    await expectStillWorking();
  });

  it('times out a WebSocket that never says hello', async () => {
    const { closed } = await connectWs();
    await expectDrop('timeout', () => {});
    await waitFor(closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('times out a TCP connection that never sends its upgrade request', async () => {
    const client = await connectTcp();
    await expectDrop('timeout', () => {});
    await waitFor(client.closed, 2000, 'server to close the connection');
    await expectStillWorking();
  });

  it('times out an upgrade request that trickles in one byte every 100 ms', async () => {
    const client = await connectTcp();
    const request = Buffer.from(
      `GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n',
    );
    let sent = 0;
    const drip = setInterval(() => {
      if (client.closed() || sent >= request.length) clearInterval(drip);
      else client.socket.write(request.subarray(sent, ++sent));
    }, 100);
    try {
      await expectDrop('timeout', () => {});
      await waitFor(client.closed, 2000, 'server to close the connection');
    } finally {
      clearInterval(drip);
    }
    await expectStillWorking();
  });

  it('times out a frame begun in the same write as the upgrade request', async () => {
    // ws hands these bytes over with the upgrade rather than as socket data; the frame clock
    // must see them all the same, or it would lose track of where frames begin.
    const slow = maskedTextFrame(envelope('a', { n: 900011 }));
    const client = await rawWsUpgrade(
      ports.m!,
      Buffer.concat([maskedTextFrame(hello('a')), slow.subarray(0, 3)]),
    );
    sockets.push(client);
    const drop = await expectDrop('timeout', () => {});
    expect(drop.from).toBe('a');
    await waitFor(client.closed, 2000, 'server to close the connection');
    expect(target.got('a', 900011)).toBe(false);
    await expectStillWorking();
  });

  it('reported nothing but drops and never an error', () => {
    expect(target.errors).toEqual([]);
    expect(trio.goodSmaller.dropped).toEqual([]);
    expect(trio.goodLarger.dropped).toEqual([]);
  });
});
