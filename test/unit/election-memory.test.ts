import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createElection,
  type Election,
  type ElectionOptions,
  LeadershipLostError,
} from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from '../integration/wait-for.js';

const running: Election[] = [];
const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const peers = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ id: `n${i + 1}`, address: `mem:${i + 1}` }));

function node(
  id: string,
  network: MemoryNetwork,
  n = 3,
  extra: Partial<ElectionOptions> = {},
): Election {
  const e = createElection({
    protocol: 'raft',
    id,
    peers: peers(n),
    transport: memoryTransport(network),
    ...extra,
  } as ElectionOptions);
  running.push(e);
  return e;
}

async function cluster(n: number, extra: Partial<ElectionOptions> = {}) {
  const network = new MemoryNetwork();
  const nodes = peers(n).map((p) => node(p.id, network, n, extra));
  await Promise.all(nodes.map((e) => e.start()));
  return { network, nodes };
}

async function leaderOf(nodes: Election[], timeoutMs = 5000): Promise<Election> {
  await waitFor(() => nodes.filter((n) => n.isLeader).length === 1, timeoutMs, 'one leader');
  return nodes.find((n) => n.isLeader)!;
}

describe('createElection over the memory network', () => {
  it('elects one leader that every node names, with members and tags in status()', async () => {
    const { nodes } = await cluster(3, { tags: { zone: 'eu' } });
    const leader = await leaderOf(nodes);
    const id = leader.status().id;
    await waitFor(() => nodes.every((n) => n.status().leader === id), 2000, 'agreement');
    const s = nodes.find((n) => n !== leader)!.status();
    expect(s.role).toBe('follower');
    expect(s.term).toBe(leader.status().term);
    expect(s.members.map((m) => m.id).sort()).toEqual(['n1', 'n2', 'n3']);
    const seenLeader = s.members.find((m) => m.id === id)!;
    expect(seenLeader.voter).toBe(true);
    expect(seenLeader.tags).toEqual({ zone: 'eu' });
    expect(seenLeader.lastContact).toBeGreaterThan(Date.now() - 5000);
    expect(leader.status().leaseRemainingMs).toBeGreaterThan(0);
  });

  it('gives the elected node a signal that aborts when it resigns, and hands over fast', async () => {
    const { nodes } = await cluster(3);
    const leader = await leaderOf(nodes);
    const signal = await new Promise<AbortSignal>((resolve) => {
      // Already elected: whileLeader hands us the live signal.
      void leader
        .whileLeader((s) => {
          resolve(s);
          return new Promise(() => {});
        })
        .catch(() => {});
    });
    const deposed = new Promise((resolve) => leader.on('deposed', resolve));
    expect(signal.aborted).toBe(false);
    await leader.resign();
    expect(signal.aborted).toBe(true);
    expect(leader.isLeader).toBe(false);
    expect(await deposed).toMatchObject({ reason: 'resigned' });
    const next = await leaderOf(nodes, 1000);
    expect(next).not.toBe(leader);
  });

  it('whileLeader resolves with the work result while leading', async () => {
    const { nodes } = await cluster(3);
    const results = nodes.map((n) =>
      n.whileLeader(async (signal) => (signal.aborted ? 'x' : 'done')),
    );
    const first = await Promise.race(results);
    expect(first).toBe('done');
  });

  it('whileLeader rejects when leadership is lost mid-work, even if the work ignores it', async () => {
    const { network, nodes } = await cluster(3);
    const leader = await leaderOf(nodes);
    const work = leader.whileLeader(() => new Promise(() => {}));
    network.isolate(leader.status().id);
    await expect(work).rejects.toBeInstanceOf(LeadershipLostError);
    // The lease lapses before anyone else can be elected.
    expect(leader.isLeader).toBe(false);
  });

  it('isLeader turns false on an isolated leader before the others elect a new one', async () => {
    const { network, nodes } = await cluster(3);
    const leader = await leaderOf(nodes);
    const overlap: string[] = [];
    for (const n of nodes) {
      n.on('elected', () => {
        if (nodes.filter((m) => m.isLeader).length > 1) overlap.push(n.status().id);
      });
    }
    network.isolate(leader.status().id);
    const others = nodes.filter((n) => n !== leader);
    await leaderOf(others, 3000);
    expect(leader.isLeader).toBe(false);
    expect(overlap).toEqual([]);
  });

  it('stopping the leader resigns first', async () => {
    const { nodes } = await cluster(3);
    const leader = await leaderOf(nodes);
    const reasons: string[] = [];
    leader.on('deposed', (e) => reasons.push(e.reason));
    await leader.stop();
    expect(reasons).toEqual(['resigned']);
    await leaderOf(
      nodes.filter((n) => n !== leader),
      1000,
    );
  });

  it('runs goelect callbacks in order and turns a throwing callback into an error event', async () => {
    const network = new MemoryNetwork();
    const calls = new Map<string, string[]>();
    const errors: Error[] = [];
    const nodes = peers(3).map((p) => {
      const log: string[] = [];
      calls.set(p.id, log);
      const record = (name: string) => () => {
        log.push(name);
      };
      return node(p.id, network, 3, {
        callbacks: {
          enterFollower: record('enterFollower'),
          leaveFollower: record('leaveFollower'),
          enterCandidate: () => {
            log.push('enterCandidate');
            throw new Error('boom');
          },
          leaveCandidate: record('leaveCandidate'),
          enterLeader: async () => {
            log.push('enterLeader');
          },
        },
      });
    });
    for (const n of nodes) n.on('error', (e) => errors.push(e));
    await Promise.all(nodes.map((n) => n.start()));
    const leader = await leaderOf(nodes);
    const log = calls.get(leader.status().id)!;
    await waitFor(() => log.includes('enterLeader'), 2000, 'enterLeader');
    // Each leave comes before the next enter, in the order the roles changed.
    expect(log.slice(0, 2)).toEqual(['enterFollower', 'leaveFollower']);
    expect(log.slice(-3)).toEqual(['enterCandidate', 'leaveCandidate', 'enterLeader']);
    expect(errors.some((e) => e.message.includes('enterCandidate callback failed: boom'))).toBe(
      true,
    );
  });

  it('reports a hanging callback after its timeout and keeps electing', async () => {
    const errors: Error[] = [];
    const { nodes } = await cluster(3, {
      callbackTimeoutMs: 50,
      callbacks: { enterFollower: () => new Promise(() => {}) },
    });
    for (const n of nodes) n.on('error', (e) => errors.push(e));
    await leaderOf(nodes);
    await waitFor(() => errors.length >= 3, 2000, 'timeouts reported');
    expect(errors[0]?.message).toMatch(/enterFollower callback did not finish within 50 ms/);
  });

  it('turns a throwing listener into an error event', async () => {
    const errors: Error[] = [];
    const { nodes } = await cluster(3);
    for (const n of nodes) {
      n.on('change', () => {
        throw new Error('listener bug');
      });
      n.on('error', (e) => errors.push(e));
    }
    await leaderOf(nodes);
    await waitFor(() => errors.length > 0, 2000, 'error event');
    expect(errors[0]?.message).toBe('listener bug');
  });

  it('keeps term and vote on disk and refuses a corrupt state file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'electorate-'));
    dirs.push(dir);
    const network = new MemoryNetwork();
    const a = node('n1', network, 1, { dataDir: dir });
    await a.start();
    await leaderOf([a]);
    const saved = JSON.parse(readFileSync(join(dir, 'election-state.json'), 'utf8'));
    expect(saved).toEqual({ term: a.status().term, votedFor: 'n1' });
    await a.stop();
    const b = node('n1', network, 1, { dataDir: dir });
    await b.start();
    await leaderOf([b]);
    expect(b.status().term).toBe(saved.term + 1);
    await b.stop();
    writeFileSync(join(dir, 'election-state.json'), '{"term":"x"}');
    await expect(node('n1', network, 1, { dataDir: dir }).start()).rejects.toThrow(
      /does not hold a valid term and vote/,
    );
  });

  it('goes silent and reports an error when its disk fails, and the rest carry on', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'electorate-'));
    dirs.push(dir);
    const network = new MemoryNetwork();
    const a = node('n1', network, 3, { dataDir: join(dir, 'state') });
    const others = [node('n2', network), node('n3', network)];
    const all = [a, ...others];
    const errors: Error[] = [];
    a.on('error', (e) => errors.push(e));
    await Promise.all(all.map((n) => n.start()));
    const first = await leaderOf(all);
    // The state directory becomes a plain file: every later write fails.
    rmSync(join(dir, 'state'), { recursive: true });
    writeFileSync(join(dir, 'state'), 'not a directory');
    await first.resign();
    await waitFor(() => errors.length > 0, 3000, 'persist error');
    expect(errors[0]?.message).toMatch(/could not persist term and vote/);
    const sentAfterFailure = a.status().messages.sent;
    await leaderOf(others, 3000);
    await new Promise((r) => setTimeout(r, 300));
    expect(a.status().messages.sent).toBe(sentAfterFailure);
    expect(a.isLeader).toBe(false);
  });

  it('rejects bad options clearly', () => {
    const network = new MemoryNetwork();
    expect(() => node('n1', network, 3, { electionTimeoutMs: [300, 150] })).toThrow(
      /electionTimeoutMs/,
    );
    expect(() => node('n1', network, 3, { heartbeatMs: 200 })).toThrow(/heartbeatMs/);
    expect(() => node('n1', network, 3, { leaseMs: 500 })).toThrow(/leaseMs/);
  });
});

describe("createElection({ protocol: 'bully' }) over the memory network", () => {
  it('elects the highest pid and reports its address and pid in change events', async () => {
    const network = new MemoryNetwork();
    const specs = [
      { id: 'a', pid: 30, address: '10.0.0.1' },
      { id: 'b', pid: 10, address: '10.0.0.2' },
      { id: 'c', pid: 20, address: '10.0.0.3' },
    ];
    const peersList = specs.map((s) => ({ id: s.id, address: s.address }));
    const nodes = specs.map((s) =>
      createElection({
        protocol: 'bully',
        id: s.id,
        pid: s.pid,
        address: s.address,
        peers: peersList,
        transport: memoryTransport(network),
        leaderTimeoutMs: 300,
      }),
    );
    running.push(...nodes);
    const changes: { leader: string | null; leaderPid?: string; leaderAddress?: string }[] = [];
    nodes[1]!.on('change', (c) => changes.push(c));
    await Promise.all(nodes.map((n) => n.start()));
    await waitFor(() => nodes.every((n) => n.status().leader === 'a'), 3000, 'a leads');
    expect(nodes[0]!.isLeader).toBe(true);
    expect(changes.at(-1)).toMatchObject({
      leader: 'a',
      leaderPid: '30',
      leaderAddress: '10.0.0.1',
    });
    await nodes[0]!.stop();
    await waitFor(() => nodes[2]!.isLeader && nodes[1]!.status().leader === 'c', 3000, 'c leads');
  });

  it('rejects a pid that is not an unsigned 64-bit integer', () => {
    expect(() =>
      createElection({
        protocol: 'bully',
        id: 'a',
        pid: -1,
        transport: memoryTransport(new MemoryNetwork()),
      }),
    ).toThrow(/pid must be an unsigned 64-bit integer/);
  });
});
