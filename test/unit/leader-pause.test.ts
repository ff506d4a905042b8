import { afterEach, describe, expect, it } from 'vitest';
import { createElection, type Election, type ElectionOptions } from '../../src/index.js';
import { MemoryNetwork, memoryTransport } from '../../transports/memory.js';
import { waitFor } from '../integration/wait-for.js';

/**
 * A process that stands still (SIGSTOP, a long GC pause, a blocked event loop) must not
 * act as leader when it runs again. Here the pause is real: the event loop is blocked, and
 * what the leader's code reads right after it, before any timer of the library has had a
 * chance to run, must already say it no longer leads.
 */
const running: Election[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.stop()));
});

const peers = Array.from({ length: 3 }, (_, i) => ({ id: `n${i + 1}`, address: `mem:${i + 1}` }));

async function cluster(extra: Partial<ElectionOptions>): Promise<Election[]> {
  const network = new MemoryNetwork();
  const nodes = peers.map((p) =>
    createElection({
      id: p.id,
      peers,
      transport: memoryTransport(network),
      ...extra,
    } as ElectionOptions),
  );
  running.push(...nodes);
  await Promise.all(nodes.map((e) => e.start()));
  return nodes;
}

/** Blocks the event loop, as a stopped process would be. */
function standStill(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // Nothing runs: no timer, no socket, no promise.
  }
}

/** The leader and the signal its leader work holds, once one node leads. */
async function leaderWithSignal(nodes: Election[]): Promise<[Election, AbortSignal]> {
  await waitFor(() => nodes.filter((n) => n.isLeader).length === 1, 5000, 'one leader');
  const leader = nodes.find((n) => n.isLeader)!;
  let held: AbortSignal | undefined;
  void leader
    .whileLeader((signal) => {
      held = signal;
      return new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve()));
    })
    .catch(() => undefined);
  await waitFor(() => held !== undefined, 2000, 'leader work to start');
  return [leader, held!];
}

describe('a leader after its process stood still', () => {
  it('Raft: the signal is aborted and isLeader false on the first read after the lease ran out', async () => {
    const nodes = await cluster({ protocol: 'raft', leaseMs: 100 });
    const [leader, signal] = await leaderWithSignal(nodes);
    expect(signal.aborted).toBe(false);
    standStill(400);
    // Read synchronously: no timer of the runtime has run since the pause.
    expect(signal.aborted).toBe(true);
    expect(() => signal.throwIfAborted()).toThrow();
    expect(leader.isLeader).toBe(false);
  });

  it('Raft: a pause shorter than the lease leaves the leader in charge', async () => {
    const nodes = await cluster({ protocol: 'raft', electionTimeoutMs: [400, 800], leaseMs: 360 });
    const [leader, signal] = await leaderWithSignal(nodes);
    // Wait for a fresh round of acknowledgements, then stand still well inside the lease.
    await new Promise((resolve) => setTimeout(resolve, 120));
    standStill(20);
    expect(signal.aborted).toBe(false);
    expect(leader.isLeader).toBe(true);
  });

  it('Bully: a leader paused past half its leader timeout holds off and says why', async () => {
    const nodes = await cluster({ protocol: 'bully', leaderTimeoutMs: 400 });
    const [leader, signal] = await leaderWithSignal(nodes);
    const deposed = new Promise<string>((resolve) =>
      leader.on('deposed', ({ reason }) => resolve(reason)),
    );
    standStill(300);
    expect(leader.isLeader).toBe(false);
    expect(signal.aborted).toBe(true);
    expect(await deposed).toBe('paused');
  });
});
