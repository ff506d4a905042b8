import { createSocket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { createElection, type Election } from '../../src/index.js';
import { sealDatagram } from '../../transports/datagram-envelope.js';
import { udpMulticastTransport } from '../../transports/udp-multicast.js';
import { waitFor } from './wait-for.js';

const running: Election[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

let groupSeq = 0;
function freshGroup(): string {
  // A group and port of its own per test, so runs never hear each other.
  const port = 20000 + ((process.pid * 7 + groupSeq++ * 13) % 20000);
  return `239.77.${(process.pid % 200) + 1}.${(groupSeq % 200) + 1}:${port}`;
}

interface Spec {
  id: string;
  pid: number;
}

function bullyNode(
  spec: Spec,
  group: string,
  extra: { preempt?: boolean; format?: 'electorate' | 'multibully' } = {},
) {
  const address = '127.0.0.1';
  const e = createElection({
    protocol: 'bully',
    id: spec.id,
    pid: spec.pid,
    address,
    preempt: extra.preempt,
    leaderTimeoutMs: 500,
    answerTimeoutMs: 100,
    transport: udpMulticastTransport({
      group,
      iface: '127.0.0.1',
      format: extra.format ?? 'electorate',
      pid: String(spec.pid),
      address,
    }),
  });
  running.push(e);
  return e;
}

const specs: Spec[] = [1, 2, 3, 4, 5].map((i) => ({ id: `n${i}`, pid: 100 + i }));

async function agree(nodes: Election[], pid: number, ms = 4000) {
  await waitFor(
    () => nodes.every((n) => n.status().leader !== null && leaderPid(n) === String(pid)),
    ms,
    `agreement on pid ${pid}`,
  );
}

function leaderPid(n: Election): string | undefined {
  return n.status().leaderPid;
}

describe.each(['electorate', 'multibully'] as const)(
  'bully over UDP multicast (%s format)',
  (format) => {
    it('elects the highest pid, fails over to the next, and takes it back on return', async () => {
      const group = freshGroup();
      const nodes = specs.map((s) => bullyNode(s, group, { format }));
      await Promise.all(nodes.map((n) => n.start()));
      await agree(nodes, 105);
      expect(nodes[4]!.isLeader).toBe(true);
      await nodes[4]!.stop();
      const rest = nodes.slice(0, 4);
      await agree(rest, 104);
      const back = bullyNode(specs[4]!, group, { format });
      await back.start();
      await agree([...rest, back], 105);
    });
  },
);

describe('bully over UDP multicast', () => {
  it('keeps the sitting leader when a higher node returns without preemption', async () => {
    const group = freshGroup();
    const nodes = specs.map((s) => bullyNode(s, group, { preempt: false }));
    await Promise.all(nodes.map((n) => n.start()));
    await agree(nodes, 105);
    await nodes[4]!.stop();
    await agree(nodes.slice(0, 4), 104);
    const back = bullyNode(specs[4]!, group, { preempt: false });
    await back.start();
    await waitFor(() => back.status().leaderPid === '104', 3000, 'newcomer follows 104');
    await new Promise((r) => setTimeout(r, 1000));
    expect([...nodes.slice(0, 4), back].every((n) => n.status().leaderPid === '104')).toBe(true);
  });

  it('survivors agree on the next leader after two leaders die in quick succession', async () => {
    const group = freshGroup();
    const nodes = specs.map((s) => bullyNode(s, group));
    await Promise.all(nodes.map((n) => n.start()));
    await agree(nodes, 105);
    await nodes[4]!.stop();
    await new Promise((r) => setTimeout(r, 150));
    await nodes[3]!.stop();
    await agree(nodes.slice(0, 3), 103);
  });

  it('delivers role callbacks in the order the machine changed state', async () => {
    const group = freshGroup();
    const log: string[] = [];
    const nodes = specs.slice(0, 3).map((s) => {
      const e = createElection({
        protocol: 'bully',
        id: s.id,
        pid: s.pid,
        address: '127.0.0.1',
        leaderTimeoutMs: 500,
        transport: udpMulticastTransport({ group, iface: '127.0.0.1' }),
        callbacks:
          s.id === 'n3'
            ? {
                enterLeader: async () => {
                  // A slow callback must not let a later one overtake it.
                  await new Promise((r) => setTimeout(r, 50));
                  log.push('enterLeader');
                },
                leaveLeader: () => {
                  log.push('leaveLeader');
                },
                enterCandidate: () => {
                  log.push('enterCandidate');
                },
                leaveCandidate: () => {
                  log.push('leaveCandidate');
                },
              }
            : {},
      });
      running.push(e);
      return e;
    });
    await Promise.all(nodes.map((n) => n.start()));
    await agree(nodes, 103);
    await nodes[2]!.stop();
    await waitFor(() => log.includes('leaveLeader'), 2000, 'leaveLeader');
    expect(log).toEqual(['enterCandidate', 'leaveCandidate', 'enterLeader', 'leaveLeader']);
  });
});

describe('bully over UDP multicast, under bad datagrams', () => {
  it('drops and counts junk in status() while the cluster keeps its leader', async () => {
    const group = freshGroup();
    const [host, portText] = group.split(':') as [string, string];
    const secret = 'cluster secret';
    const nodes = specs.slice(0, 3).map((s) => {
      const e = createElection({
        protocol: 'bully',
        id: s.id,
        pid: s.pid,
        address: '127.0.0.1',
        leaderTimeoutMs: 500,
        transport: udpMulticastTransport({ group, iface: '127.0.0.1', secret, cluster: 'c1' }),
      });
      running.push(e);
      return e;
    });
    await Promise.all(nodes.map((n) => n.start()));
    await agree(nodes, 103);
    const raw = createSocket('udp4');
    await new Promise<void>((resolve) => raw.bind(0, '127.0.0.1', resolve));
    raw.setMulticastInterface('127.0.0.1');
    const send = (b: Buffer) =>
      new Promise<void>((resolve, reject) =>
        raw.send(b, Number(portText), host, (err) => (err ? reject(err) : resolve())),
      );
    try {
      const bully = { type: 'coordinator', pid: '999', address: '127.0.0.1' };
      const forged = sealDatagram(bully, {
        cluster: 'c1',
        from: 'evil',
        secret: Buffer.from('x'),
      })!;
      const otherCluster = sealDatagram(bully, {
        cluster: 'c2',
        from: 'n9',
        secret: Buffer.from(secret),
      })!;
      const signedJunk = sealDatagram(
        { type: 'nonsense' },
        { cluster: 'c1', from: 'n9', secret: Buffer.from(secret) },
      )!;
      await send(Buffer.from('garbage garbage'));
      await send(Buffer.from('2|127.0.0.1|999|'));
      await send(Buffer.alloc(65_507, 0x7b));
      await send(forged);
      await send(otherCluster);
      await send(signedJunk);
      await send(signedJunk); // a replay, once its first copy was seen
      const target = nodes[0]!;
      await waitFor(
        () => {
          const d = target.status().dropped;
          return (
            (d.malformed ?? 0) >= 3 &&
            (d.unauthenticated ?? 0) >= 2 &&
            (d['unknown-peer'] ?? 0) >= 1 &&
            (d.invalid ?? 0) >= 1
          );
        },
        3000,
        'every bad datagram counted',
      );
      await new Promise((r) => setTimeout(r, 700));
      expect(nodes.every((n) => n.status().leaderPid === '103')).toBe(true);
      expect(target.status().errors).toBe(0);
    } finally {
      raw.close();
    }
  });

  it('refuses signed datagrams captured before it restarted, replayed after', async () => {
    const group = freshGroup();
    const [host, portText] = group.split(':') as [string, string];
    const port = Number(portText);
    const secret = 'cluster secret';
    const node = (spec: Spec) => {
      const e = createElection({
        protocol: 'bully',
        id: spec.id,
        pid: spec.pid,
        address: '127.0.0.1',
        leaderTimeoutMs: 500,
        transport: udpMulticastTransport({ group, iface: '127.0.0.1', secret, cluster: 'c1' }),
      });
      running.push(e);
      return e;
    };
    // An eavesdropper on the group keeps every datagram it hears.
    const tap = createSocket({ type: 'udp4', reuseAddr: true });
    const captured: Buffer[] = [];
    await new Promise<void>((resolve) => tap.bind(port, resolve));
    tap.addMembership(host, '127.0.0.1');
    tap.setMulticastInterface('127.0.0.1');
    tap.setMulticastLoopback(true);
    tap.on('message', (datagram) => {
      if (datagram.includes('"coordinator"') && datagram.includes('"from":"n3"')) {
        captured.push(datagram);
      }
    });
    try {
      const [one, three] = [node(specs[0]!), node(specs[2]!)];
      await Promise.all([one.start(), three.start()]);
      await agree([one, three], 103);
      await waitFor(() => captured.length >= 10, 5000, 'coordinator datagrams from n3');
      // The leader dies; n1 restarts, remembering no nonce it saw before.
      await three.stop();
      await one.stop();
      const restarted = node(specs[0]!);
      await restarted.start();
      const replays = captured.slice(-20);
      for (const datagram of replays) {
        await new Promise<void>((resolve) => tap.send(datagram, port, host, () => resolve()));
        await new Promise((r) => setTimeout(r, 100));
        expect(restarted.status().leaderPid).not.toBe('103');
      }
      await waitFor(
        () => (restarted.status().dropped.unauthenticated ?? 0) >= replays.length,
        3000,
        'every replay counted',
      );
      await agree([restarted], 101);
    } finally {
      tap.close();
    }
  });
});
