import { afterEach, describe, expect, it } from 'vitest';
import { createElection, type Election } from '../../src/index.js';
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
