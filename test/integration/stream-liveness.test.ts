import { afterEach, describe, expect, it } from 'vitest';
import type { Election } from '../../src/index.js';
import { decodeFrame } from '../../transports/envelope.js';
import {
  agreedLeader,
  createNode,
  localPeers,
  portOf,
  STREAM_KINDS,
  sampleLeaders,
} from './election-cluster.js';
import { type RawTcpClient, rawTcpClient, tcpFrame } from './raw-tcp-client.js';
import { waitFor } from './wait-for.js';

const PING_MS = 100;
const IDLE_MS = 400;
const liveness = { transport: { pingIntervalMs: PING_MS, idleTimeoutMs: IDLE_MS } };

const running: Election[] = [];
const clients: RawTcpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

/** The frames a raw client is sent, decoded (the TCP transport's 4-byte length prefix). */
function collectFrames(client: RawTcpClient): ReturnType<typeof decodeFrame>[] {
  const frames: ReturnType<typeof decodeFrame>[] = [];
  let pending = Buffer.alloc(0);
  client.socket.on('data', (chunk: Buffer) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 4 && pending.length >= 4 + pending.readUInt32BE(0)) {
      const size = pending.readUInt32BE(0);
      frames.push(decodeFrame(pending.subarray(4, 4 + size)));
      pending = pending.subarray(4 + size);
    }
  });
  return frames;
}

describe('stream link liveness', () => {
  it('pings a quiet link, then closes it when the peer falls silent and counts a timeout', async () => {
    // 'a' sorts first, so 'a' dials 'b': the raw client plays 'a' and then says nothing.
    const peers = await localPeers(['a', 'b']);
    const b = createNode('tcp', 'b', peers, liveness);
    running.push(b);
    await b.start();
    const client = await rawTcpClient(portOf(peers[1]!));
    clients.push(client);
    const frames = collectFrames(client);
    client.socket.write(tcpFrame({ v: 1, hello: 'a' }));
    const helloAt = performance.now();
    let closedAt = 0;
    client.socket.once('close', () => {
      closedAt = performance.now();
    });
    await waitFor(() => client.closed(), 10 * IDLE_MS, 'the silent link to be closed');
    expect(frames.some((f) => f?.kind === 'ping')).toBe(true);
    expect(b.status().dropped.timeout ?? 0).toBe(1);
    // Not torn down early: the link had a whole idle timeout to be heard on.
    expect(closedAt - helloAt).toBeGreaterThanOrEqual(IDLE_MS - 5);
  });

  it.each(STREAM_KINDS)(
    'keeps quiet %s links between followers open, with one leader throughout',
    async (kind) => {
      const peers = await localPeers(['n1', 'n2', 'n3']);
      const nodes = peers.map((p) => {
        const node = createNode(kind, p.id, peers, liveness);
        running.push(node);
        return node;
      });
      await Promise.all(nodes.map((n) => n.start()));
      const { leader } = await agreedLeader(nodes, 'a leader');
      const calm = sampleLeaders(nodes);
      // Followers send each other nothing but pings: five idle timeouts of it.
      const until = performance.now() + 5 * IDLE_MS;
      await waitFor(() => performance.now() >= until, 10 * IDLE_MS, 'five idle timeouts');
      for (const n of nodes) {
        expect(n.status().dropped.timeout ?? 0).toBe(0);
        expect(n.status().dropped.replaced ?? 0).toBe(0);
      }
      expect(new Set(calm.stop().map((ids) => ids.join(',')))).toEqual(
        new Set([leader.status().id]),
      );
    },
  );
});
