import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createElection, type Election } from '../../src/index.js';
import { udpMulticastTransport } from '../../transports/index.js';
import { type MultibullyPeer, startMultibullyPeer } from './multibully-peer.js';
import { waitFor } from './wait-for.js';

const IFACE = '127.0.0.1';
const running: Election[] = [];
const peers: MultibullyPeer[] = [];
afterEach(async () => {
  for (const peer of peers.splice(0)) peer.stop();
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

async function freePort(): Promise<number> {
  const probe = createSocket('udp4');
  await new Promise<void>((resolve) => probe.bind(0, '0.0.0.0', resolve));
  const { port } = probe.address();
  await new Promise<void>((resolve) => probe.close(resolve));
  return port;
}

function electorateNode(pid: number, group: string): Election {
  const election = createElection({
    protocol: 'bully',
    id: `n${pid}`,
    pid,
    address: IFACE,
    transport: udpMulticastTransport({
      group,
      iface: IFACE,
      format: 'multibully',
      pid: String(pid),
      address: IFACE,
    }),
  });
  running.push(election);
  return election;
}

describe('electorate beside multibully nodes (multibully format and timing)', () => {
  it.each([
    [
      'a group of its own',
      () => `239.${randomInt(1, 255)}.${randomInt(0, 256)}.${randomInt(1, 255)}`,
    ],
    // The stock multibully command's group, reserved as it is.
    ['multibully’s own 224.0.0.0', () => '224.0.0.0'],
  ])(
    'a higher multibully node that joins takes over from an electorate leader, on %s',
    async (_name, host) => {
      const group = { host: host(), port: await freePort() };
      const nodes = [101, 102].map((pid) => electorateNode(pid, `${group.host}:${group.port}`));
      await Promise.all(nodes.map((n) => n.start()));
      await waitFor(
        () => nodes.every((n) => n.status().leaderPid === '102'),
        10_000,
        'the electorate nodes to elect pid 102',
      );
      const peer = await startMultibullyPeer({ group, iface: IFACE, pid: '999', address: IFACE });
      peers.push(peer);
      await waitFor(
        () => peer.leads() && nodes.every((n) => n.status().leaderPid === '999' && !n.isLeader),
        15_000,
        'the multibully node to lead, and both electorate nodes to follow it',
      );
      // One election, or a few if a stray announcement crossed it: never the endless restarts
      // of a leader that answers a higher Election by announcing itself again.
      expect(peer.elections()).toBeLessThanOrEqual(3);
    },
    40_000,
  );
});
