import { afterEach, describe, expect, it } from 'vitest';
import { diagDocument } from '../../src/diag/diag-server.js';
import {
  type Candidate,
  createCandidate,
  createFollower,
  type Follower,
} from '../../src/kv/index.js';
import { createElection, type Election } from '../../src/runtime/election.js';
import { MemoryStore, memoryStore } from '../../transports/kv/memory-store.js';
import { type KvStore, loadClient, MissingStoreClientError } from '../../transports/kv/types.js';
import { waitFor } from '../integration/wait-for.js';

const running: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((r) => r.stop()));
});

function candidate(store: KvStore, id: string, ttl: number | string = 600): Candidate {
  const c = createCandidate(store, 'service/leader', id, { ttl });
  running.push(c);
  return c;
}

function follower(store: KvStore): Follower {
  const f = createFollower(store, 'service/leader', { ttl: 600 });
  running.push(f);
  return f;
}

/** A memory store that can be cut off: every call fails while `down`, and is counted. */
class FlakyStore extends MemoryStore {
  down = false;
  failures = 0;
  private check() {
    if (this.down) {
      this.failures++;
      throw new Error('store unreachable');
    }
  }
  override async acquire(r: Parameters<MemoryStore['acquire']>[0]) {
    this.check();
    return super.acquire(r);
  }
  override async renew(r: Parameters<MemoryStore['renew']>[0]) {
    this.check();
    return super.renew(r);
  }
  override async release(r: Parameters<MemoryStore['release']>[0]) {
    this.check();
    return super.release(r);
  }
}

const leaders = (cs: Candidate[]) => cs.filter((c) => c.isLeader);

describe('KV election on the memory store', () => {
  it('elects exactly one candidate and reports the fencing token', async () => {
    const store = memoryStore();
    const cs = ['a', 'b', 'c'].map((id) => candidate(store, id));
    await waitFor(() => leaders(cs).length === 1, 5000, 'a leader');
    const [leader] = leaders(cs);
    const status = leader!.status();
    expect(status.protocol).toBe('kv');
    expect(status.fencingToken).toBeGreaterThan(0);
    expect(leader!.fencingToken).toBe(status.fencingToken);
    for (const c of cs) expect(c.status().leader).toBe(leader!.node);
    expect(diagDocument(status).fencingToken).toBe(status.fencingToken);
  });

  it('streams elected false first, then true with token and signal', async () => {
    const store = memoryStore();
    const c = candidate(store, 'a');
    const seen: { elected: boolean; fencingToken?: number; signal?: AbortSignal }[] = [];
    for await (const e of c.elected()) {
      seen.push(e);
      if (e.elected) break;
    }
    expect(seen[0]).toEqual({ elected: false });
    expect(seen.at(-1)!.fencingToken).toBeGreaterThan(0);
    expect(seen.at(-1)!.signal!.aborted).toBe(false);
    const signal = seen.at(-1)!.signal!;
    await c.resign();
    expect(signal.aborted).toBe(true);
  });

  it('hands over on resign to a waiting candidate with a higher token', async () => {
    const store = memoryStore();
    const a = candidate(store, 'a');
    await waitFor(() => a.isLeader, 5000, 'a leads');
    const b = candidate(store, 'b');
    await waitFor(() => b.status().leader === 'a', 5000, 'b sees a');
    const first = a.fencingToken!;
    await a.resign();
    await waitFor(() => b.isLeader, 2000, 'b leads');
    expect(a.isLeader).toBe(false);
    expect(b.fencingToken).toBeGreaterThan(first);
  });

  it('a stopped leader releases the key at once', async () => {
    const store = memoryStore();
    const a = candidate(store, 'a', '10s');
    await waitFor(() => a.isLeader, 5000, 'a leads');
    const b = candidate(store, 'b', '10s');
    await waitFor(() => b.status().leader === 'a', 5000, 'b sees a');
    await a.stop();
    // Far sooner than the 10 s TTL: the key was deleted, and b was watching it.
    await waitFor(() => b.isLeader, 2000, 'b leads');
  });

  it('a follower started on an empty election names the winner', async () => {
    const store = memoryStore();
    const f = follower(store);
    const named: (string | null)[] = [];
    f.on('leader', ({ leader }) => named.push(leader));
    await f.ready;
    const cs = ['a', 'b', 'c'].map((id) => candidate(store, id));
    await waitFor(() => leaders(cs).length === 1, 5000, 'a leader');
    await waitFor(() => f.leader === leaders(cs)[0]!.node, 2000, 'follower names it');
    expect(named.filter((n) => n !== null)).toEqual([leaders(cs)[0]!.node]);
  });

  it("createElection({ protocol: 'kv' }) aborts whileLeader's signal when leadership ends", async () => {
    const store = memoryStore();
    const e: Election = createElection({ protocol: 'kv', id: 'n1', key: 'k', store, ttlMs: 600 });
    running.push(e);
    await e.start();
    let aborted: unknown;
    const work = e.whileLeader(
      (signal) =>
        new Promise((resolve) => {
          signal.addEventListener('abort', () => {
            aborted = signal.reason;
            resolve('done');
          });
          void e.resign();
        }),
    );
    await expect(work).rejects.toThrow(/leadership lost \(resigned\)/);
    expect(aborted).toBeDefined();
  });

  it('a leader cut off from its store stops leading by its deadline and reports errors', async () => {
    const store = new FlakyStore();
    const c = candidate(store, 'a', 600);
    const errors: Error[] = [];
    c.on('error', (err) => errors.push(err));
    await waitFor(() => c.isLeader, 5000, 'a leads');
    store.down = true;
    const cut = performance.now();
    // Every renewal that succeeded was sent before the cut, and a lease lasts ttl - margin
    // (540 ms) from its send: past cut + 540 the candidate must not claim to lead, however
    // late its timers run.
    await waitFor(() => performance.now() > cut + 545, 2000, 'the deadline');
    expect(c.isLeader).toBe(false);
    expect(errors.length).toBeGreaterThan(0);
    expect(errors[0]!.message).toMatch(/unreachable/);
    store.down = false;
    await waitFor(() => c.isLeader, 5000, 'a leads again');
  });

  it('reports each failed request once, and never elects on a campaign that failed', async () => {
    const store = new FlakyStore();
    store.down = true;
    const c = candidate(store, 'a', 600);
    // Each event with the campaign (acquire request) it happened in.
    const events: { type: 'error' | 'elected'; campaign: number }[] = [];
    c.on('error', () => events.push({ type: 'error', campaign: c.status().elections }));
    c.on('elected', ({ elected }) => {
      if (elected) events.push({ type: 'elected', campaign: c.status().elections });
    });
    await waitFor(() => store.failures >= 4, 5000, 'a few failed campaigns');
    store.down = false;
    await waitFor(() => c.isLeader, 5000, 'a leads');
    const errors = events.filter((e) => e.type === 'error');
    expect(errors).toHaveLength(store.failures);
    // Backoff between campaigns: one campaign per failure, not two.
    expect(c.status().elections).toBeLessThanOrEqual(store.failures + 1);
    const elected = events.find((e) => e.type === 'elected')!;
    expect(errors.some((e) => e.campaign === elected.campaign)).toBe(false);
  });

  it('names the package when an optional store client is missing', async () => {
    await expect(loadClient('electorate-no-such-client', 'test')).rejects.toBeInstanceOf(
      MissingStoreClientError,
    );
    await expect(loadClient('electorate-no-such-client', 'test')).rejects.toThrow(
      /npm install electorate-no-such-client/,
    );
  });
});
