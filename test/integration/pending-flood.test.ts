import { afterEach, describe, expect, it } from 'vitest';
import type { Election, PeerConfig } from '../../src/index.js';
import { DEFAULT_MAX_PENDING_CONNECTIONS } from '../../transports/pending-connections.js';
import {
  agreedLeader,
  createNode,
  localPeers,
  portOf,
  STREAM_KINDS,
  type StreamKind,
  sampleLeaders,
} from './election-cluster.js';
import { type RawTcpClient, rawTcpClient } from './raw-tcp-client.js';
import { waitFor } from './wait-for.js';

const FLOOD = 500;
const BATCH = 50;
// Long enough that the whole flood is open before any held connection times out.
const HANDSHAKE_TIMEOUT_MS = 2000;

const running: Election[] = [];
const clients: RawTcpClient[] = [];

afterEach(async () => {
  for (const client of clients.splice(0)) client.socket.destroy();
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

/**
 * `count` idle connections from `sources` (loopback addresses posing as hosts, taken in
 * turn), opened `BATCH` at a time so the listen backlog never overflows.
 */
async function flood(port: number, count: number, sources: string[]): Promise<RawTcpClient[]> {
  const opened: RawTcpClient[] = [];
  while (opened.length < count) {
    const batch = Math.min(BATCH, count - opened.length);
    const next = await Promise.all(
      Array.from({ length: batch }, (_, i) =>
        rawTcpClient(port, sources[(opened.length + i) % sources.length]),
      ),
    );
    clients.push(...next);
    opened.push(...next);
  }
  return opened;
}

/**
 * Three raft nodes where n1 never votes, so the leader is n2 or n3 and n1 must dial into
 * the leader's listener; `start` (re)starts a node with the same settings.
 */
async function clusterWithLeader(kind: StreamKind, handshakeTimeoutMs: number) {
  const peers: PeerConfig[] = await localPeers(['n1', 'n2', 'n3']);
  peers[0] = { ...peers[0]!, noVote: true };
  const start = (id: string): Election => {
    const node = createNode(kind, id, peers, { transport: { handshakeTimeoutMs } });
    running.push(node);
    return node;
  };
  const nodes = ['n1', 'n2', 'n3'].map(start);
  await Promise.all(nodes.map((n) => n.start()));
  const { leader } = await agreedLeader(nodes, 'a leader before the flood');
  const leaderId = leader.status().id;
  const port = portOf(peers.find((p) => p.id === leaderId)!);
  return { start, nodes, leader, leaderId, port };
}

describe.each(STREAM_KINDS)('a %s listener flooded with idle connections', (kind) => {
  it('holds at most the pending cap, refusing and counting the rest, and keeps its leader', async () => {
    const { start, nodes, leader, leaderId, port } = await clusterWithLeader(
      kind,
      HANDSHAKE_TIMEOUT_MS,
    );
    const before = leader.status().dropped;

    const calm = sampleLeaders(nodes);
    // Eight hosts, so the listener's own cap binds before any one host's share does.
    const hosts = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 2}`);
    const attackers = await flood(port, FLOOD, hosts);
    const refused = FLOOD - DEFAULT_MAX_PENDING_CONNECTIONS;
    await waitFor(
      () => attackers.filter((c) => c.closed()).length >= refused,
      5000,
      `${refused} connections closed at once`,
    );
    expect(attackers.filter((c) => c.closed()).length).toBe(refused);
    expect((leader.status().dropped.refused ?? 0) - (before.refused ?? 0)).toBe(refused);

    // The held connections lose their places to the handshake clock, every one counted,
    // and a member that restarts meanwhile gets back in (by its own dial once a place is
    // free, or by the leader's dial to it).
    const n1 = nodes[0]!;
    await n1.stop();
    const restarted = start('n1');
    await restarted.start();
    await waitFor(
      () => attackers.every((c) => c.closed()),
      HANDSHAKE_TIMEOUT_MS + 6000,
      'every held connection to time out',
    );
    await waitFor(
      () => restarted.status().leader === leaderId,
      HANDSHAKE_TIMEOUT_MS + 6000,
      'the restarted n1 to hear the leader',
    );
    const after = leader.status().dropped;
    expect((after.timeout ?? 0) - (before.timeout ?? 0)).toBe(DEFAULT_MAX_PENDING_CONNECTIONS);

    const live = [restarted, nodes[1]!, nodes[2]!];
    await agreedLeader(live, 'the same leader after the flood');
    expect(new Set(calm.stop().map((ids) => ids.join(',')))).toEqual(new Set([leaderId]));
    expect(live.map((n) => n.status().errors)).toEqual([0, 0, 0]);
  });

  it('gives one flooding host only its share of the places, so a member elsewhere gets in at once', async () => {
    // Held connections outlive the whole test, so none frees a place for the member.
    const { start, nodes, leader, leaderId, port } = await clusterWithLeader(kind, 20_000);
    const before = leader.status().dropped.refused ?? 0;
    const share = Math.ceil(DEFAULT_MAX_PENDING_CONNECTIONS / 4);

    const attackers = await flood(port, 200, ['127.0.0.2']);
    await waitFor(
      () => attackers.filter((c) => c.closed()).length >= 200 - share,
      5000,
      'all but one share closed at once',
    );
    expect((leader.status().dropped.refused ?? 0) - before).toBe(200 - share);

    // n1 dials from 127.0.0.1, which holds no place: it is not kept waiting.
    await nodes[0]!.stop();
    const restarted = start('n1');
    await restarted.start();
    await waitFor(
      () => restarted.status().leader === leaderId,
      10_000,
      'the restarted n1 to hear the leader past the flood',
    );
    expect(attackers.filter((c) => !c.closed())).toHaveLength(share);
  });
});
