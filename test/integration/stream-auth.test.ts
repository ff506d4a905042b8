import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { StreamTransportOptions } from '../../transports/index.js';
import { InitiatorHandshake } from '../../transports/stream-auth.js';
import { type AttackedTrio, startAttackedTrio } from './attacked-trio.js';
import { STREAM_KINDS, streamTransport } from './election-cluster.js';
import { freePorts } from './free-port.js';
import { rawTcpClient, tcpFrame } from './raw-tcp-client.js';
import { rawWsClient } from './raw-ws-client.js';
import { peerList, startNode, type TestNode, waitReady } from './transport-harness.js';
import { waitFor } from './wait-for.js';

const SECRET = 'correct horse battery staple';
const heartbeat = { type: 'heartbeat', term: 1000, round: 1 };

describe.each(STREAM_KINDS)('%s transport with a secret', (kind) => {
  let trio: AttackedTrio;
  const cleanups: Array<() => void> = [];

  /** Opens a raw connection to the target and sends `frames`, each a whole frame. */
  async function send(frames: Array<string | object>): Promise<void> {
    const texts = frames.map((f) => (typeof f === 'string' ? f : JSON.stringify(f)));
    if (kind === 'tcp') {
      const client = await rawTcpClient(trio.ports.m!);
      cleanups.push(() => client.socket.destroy());
      client.socket.write(Buffer.concat(texts.map((t) => tcpFrame(Buffer.from(t)))));
    } else {
      const client = await rawWsClient(trio.ports.m!);
      cleanups.push(() => client.ws.terminate());
      for (const t of texts) client.ws.send(t);
    }
  }

  /** Runs an attack and checks it cost exactly one `reason` and displaced no link. */
  async function refused(reason: 'unauthenticated' | 'timeout', frames: Array<string | object>) {
    const replaced = trio.target.drops('replaced');
    await trio.expectDrop(reason, () => send(frames));
    await trio.expectStillWorking();
    expect(trio.target.drops('replaced')).toBe(replaced);
  }

  beforeAll(async () => {
    trio = await startAttackedTrio((listen, attacked) =>
      streamTransport(kind, {
        listen,
        secret: SECRET,
        ...(attacked ? { handshakeTimeoutMs: 300 } : {}),
      }),
    );
  });

  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  afterAll(() => trio?.stop());

  it('refuses a plain hello claiming a member, without displacing its link', async () => {
    await refused('unauthenticated', [
      { v: 1, hello: 'b' },
      { v: 1, from: 'b', msg: heartbeat },
    ]);
  });

  it('refuses an authenticated hello followed by a forged proof or a bare envelope', async () => {
    const claim = new InitiatorHandshake(Buffer.from('a guess'), 'b', 'link').hello();
    await refused('unauthenticated', [claim, { v: 1, proof: '0'.repeat(64) }]);
    await refused('unauthenticated', [claim, { v: 1, from: 'b', msg: heartbeat }]);
  });

  it('times out a claim that never proves itself', async () => {
    const claim = new InitiatorHandshake(Buffer.from('a guess'), 'a', 'link').hello();
    await refused('timeout', [claim]);
  });

  it('refuses a plain wake from a peer it dials', async () => {
    await refused('unauthenticated', [{ v: 1, wake: 'z' }]);
  });

  it('lets a connection that authenticates as a member replace its link', async () => {
    const initiator = new InitiatorHandshake(Buffer.from(SECRET), 'b', 'link');
    const replaced = trio.target.drops('replaced');
    // The first frame back is the challenge; the proof makes the connection b's link.
    const challenge = new Promise<Uint8Array>((resolve) => {
      if (kind === 'tcp') {
        void rawTcpClient(trio.ports.m!).then((client) => {
          cleanups.push(() => client.socket.destroy());
          client.socket.once('data', (chunk: Buffer) => {
            const answered = initiator.answer(chunk.subarray(4), 'm');
            if (answered !== undefined) client.socket.write(tcpFrame(Buffer.from(answered.proof)));
            resolve(chunk.subarray(4));
          });
          client.socket.write(tcpFrame(Buffer.from(initiator.hello())));
        });
      } else {
        void rawWsClient(trio.ports.m!).then((client) => {
          cleanups.push(() => client.ws.terminate());
          client.ws.once('message', (data: Buffer) => {
            const answered = initiator.answer(data, 'm');
            if (answered !== undefined) client.ws.send(answered.proof);
            resolve(data);
          });
          client.ws.send(initiator.hello());
        });
      }
    });
    await challenge;
    await waitFor(() => trio.target.drops('replaced') > replaced, 3000, 'the link replaced');
    // The real b redials and takes its link back.
    await trio.expectStillWorking();
  });

  it('delivered nothing but the honest peers’ messages, and reported no error', () => {
    expect(trio.target.received.every((r) => r.from === 'b' || r.from === 'z')).toBe(true);
    expect(trio.target.received.every((r) => (r.msg as { decoded?: true }).decoded)).toBe(true);
    expect(trio.target.errors).toEqual([]);
  });
});

describe.each(STREAM_KINDS)('%s peers that do not share a secret', (kind) => {
  const running: TestNode[] = [];
  afterEach(() => {
    for (const node of running.splice(0)) node.stop();
  });

  async function pair(x: Partial<StreamTransportOptions>, y: Partial<StreamTransportOptions>) {
    const [px, py] = await freePorts(2);
    const ports = { x: px!, y: py! };
    const start = (id: 'x' | 'y', options: Partial<StreamTransportOptions>) => {
      const node = startNode(
        streamTransport(kind, { listen: `127.0.0.1:${ports[id]}`, ...options }),
        id,
        peerList(ports),
      );
      running.push(node);
      return node;
    };
    // y starts once x listens, so y's wake reaches x as well as x's dials reaching y.
    const nx = start('x', x);
    await waitReady(nx);
    const ny = start('y', y);
    await waitReady(ny);
    return { nx, ny };
  }

  /** Both keep trying for a while; neither may hear the other, and both count it. */
  async function expectApart(nx: TestNode, ny: TestNode, reason = 'unauthenticated' as const) {
    await waitFor(
      () => nx.drops(reason) + ny.drops(reason) >= 2,
      3000,
      `both sides to count '${reason}'`,
    );
    const until = Date.now() + 500;
    for (let n = 1; Date.now() < until; n++) {
      nx.send('y', { n });
      ny.send('x', { n });
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect([nx.received, ny.received]).toEqual([[], []]);
    expect([nx.errors, ny.errors]).toEqual([[], []]);
  }

  it('never exchange a message when their secrets differ', async () => {
    const { nx, ny } = await pair({ secret: 'one secret' }, { secret: 'another secret' });
    await expectApart(nx, ny);
    // Each side refused the other's handshake: the one that dials, and the one that wakes.
    expect(nx.drops('unauthenticated')).toBeGreaterThan(0);
    expect(ny.drops('unauthenticated')).toBeGreaterThan(0);
  });

  it('a node with a secret and one without refuse each other', async () => {
    const first = await pair({ secret: SECRET }, {});
    await expectApart(first.nx, first.ny);
    for (const node of running.splice(0)) node.stop();
    const second = await pair({}, { secret: SECRET });
    await expectApart(second.nx, second.ny);
  });

  it('a node with the same secret on both sides exchanges messages', async () => {
    const { nx, ny } = await pair({ secret: SECRET }, { secret: SECRET });
    await waitFor(() => {
      nx.send('y', { n: 1 });
      ny.send('x', { n: 2 });
      return ny.got('x', 1) && nx.got('y', 2);
    }, 3000);
    expect(nx.drops('unauthenticated') + ny.drops('unauthenticated')).toBe(0);
  });
});
