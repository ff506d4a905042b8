import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import {
  type Candidate,
  createCandidate,
  createFollower,
  type Follower,
} from '../../src/kv/index.js';
import type { AcquireRequest, AcquireResult, KvStore } from '../../transports/kv/types.js';
import {
  describeWithServer,
  type StoreKind,
  StoreServer,
  type StoreServerOptions,
} from './store-servers.js';
import { waitFor } from './wait-for.js';

/**
 * The same fault tests against every real store: one server per file (ZooKeeper's JVM is
 * slow to start), fresh keys per test, each candidate on its own client connection.
 */
export interface KvSuiteOptions {
  kind: StoreKind;
  name: string;
  /** A new client of the server at `url` (one per candidate, as separate processes would have). */
  connect: (server: StoreServer) => KvStore;
  /** The lease; at least the store's own minimum (etcd grants whole seconds, 2 s at least). */
  ttlMs: number;
  server?: StoreServerOptions;
  /** Counts the handles the store holds under `key` (leases, znodes), to catch leaks. */
  handles?: (server: StoreServer, key: string) => Promise<number>;
}

/** When each candidate led, on this process's monotonic clock. */
class LeadershipLog {
  readonly intervals: { id: string; from: number; to: number }[] = [];
  private open = new Map<string, number>();

  watch(c: Candidate): void {
    c.election.on('elected', () => this.open.set(c.node, performance.now()));
    c.election.on('deposed', () => this.close(c.node));
  }

  close(id: string): void {
    const from = this.open.get(id);
    if (from === undefined) return;
    this.open.delete(id);
    this.intervals.push({ id, from, to: performance.now() });
  }

  /** Fails if two candidates ever led at the same instant. */
  checkNoOverlap(): void {
    const now = performance.now();
    const all = [
      ...this.intervals,
      ...[...this.open].map(([id, from]) => ({ id, from, to: now })),
    ].sort((a, b) => a.from - b.from);
    for (let i = 1; i < all.length; i++) {
      const prev = all[i - 1]!;
      const cur = all[i]!;
      if (cur.from < prev.to) {
        throw new Error(
          `${prev.id} and ${cur.id} led at once: [${prev.from.toFixed(1)}, ${prev.to.toFixed(1)}] and [${cur.from.toFixed(1)}, ${cur.to.toFixed(1)}]`,
        );
      }
    }
  }
}

/** Each candidate's role, leader and lease, for failure messages. */
function describe(cs: Candidate[]): string {
  return JSON.stringify(
    cs.map((c) => {
      const s = c.status();
      return { id: c.node, role: s.role, leader: s.leader, isLeader: s.isLeader };
    }),
  );
}

export function kvFaultSuite(options: KvSuiteOptions): void {
  const { ttlMs } = options;
  describeWithServer(options.kind, options.name, () => {
    let server: StoreServer;
    let keyNumber = 0;
    let key = '';
    const stores: KvStore[] = [];
    const running: { stop(): Promise<void> }[] = [];
    let log: LeadershipLog;

    beforeAll(async () => {
      server = await StoreServer.start(options.kind, options.server ?? {});
    }, 120_000);
    afterAll(async () => {
      await server?.dispose();
    });
    afterEach(async () => {
      if (server.running) server.resume();
      else await server.start();
      await Promise.all(running.splice(0).map((r) => r.stop().catch(() => undefined)));
      await Promise.all(stores.splice(0).map((s) => s.close().catch(() => undefined)));
      log.checkNoOverlap();
    });

    const fresh = () => {
      key = `electorate/test-${process.pid}-${++keyNumber}`;
      log = new LeadershipLog();
    };
    const store = () => {
      const s = options.connect(server);
      stores.push(s);
      return s;
    };
    const candidate = (id: string) => {
      const c = createCandidate(store(), key, id, { ttl: ttlMs, seed: keyNumber * 7 + id.length });
      running.push(c);
      log.watch(c);
      return c;
    };
    const follower = () => {
      const f = createFollower(store(), key, { ttl: ttlMs });
      running.push(f);
      return f;
    };
    const leaders = (cs: Candidate[]) => cs.filter((c) => c.isLeader);
    const oneLeader = (cs: Candidate[], timeoutMs: number, what: string) =>
      waitFor(() => leaders(cs).length === 1, timeoutMs, what);

    it('elects one of three candidates; a follower on the empty election names it', async () => {
      fresh();
      const f: Follower = follower();
      const named: string[] = [];
      f.on('leader', ({ leader }) => {
        if (leader !== null) named.push(leader);
      });
      await f.ready;
      const cs = ['a', 'b', 'c'].map(candidate);
      await oneLeader(cs, 10_000, 'a leader');
      const winner = leaders(cs)[0]!;
      await waitFor(() => f.leader === winner.node, 5000, 'the follower to name the winner');
      expect(named[0]).toBe(winner.node);
      expect(winner.status().fencingToken).toBeGreaterThan(0);
      for (const c of cs) await waitFor(() => c.status().leader === winner.node, 5000, 'all agree');
    });

    it('hands over on resign, and the fencing token grows', async () => {
      fresh();
      const cs = ['a', 'b'].map(candidate);
      await oneLeader(cs, 10_000, 'a leader');
      const first = leaders(cs)[0]!;
      const other = cs.find((c) => c !== first)!;
      await waitFor(() => other.status().leader === first.node, 5000, 'the other to see it');
      const token = first.fencingToken!;
      await first.resign();
      await waitFor(() => other.isLeader, ttlMs, 'the other to lead');
      expect(other.fencingToken).toBeGreaterThan(token);
    });

    it('a leader cut off by a frozen store steps down by its deadline, reports an error, and the election recovers', async () => {
      fresh();
      const cs = ['a', 'b'].map(candidate);
      const errors: Error[] = [];
      for (const c of cs) c.on('error', (e) => errors.push(e));
      const f = follower();
      const followerErrors: Error[] = [];
      f.on('error', (e) => followerErrors.push(e));
      await oneLeader(cs, 10_000, 'a leader');
      const leader = leaders(cs)[0]!;
      await waitFor(() => f.leader === leader.node, 5000, 'the follower to name the leader');
      server.pause();
      const frozenAt = performance.now();
      // Every renewal that succeeded was sent before the freeze; a lease counts from its send.
      const lease = ttlMs - Math.max(10, Math.round(ttlMs / 10));
      await waitFor(() => performance.now() > frozenAt + lease + 5, 3 * ttlMs, 'the deadline');
      expect(leader.isLeader).toBe(false);
      expect(leaders(cs)).toHaveLength(0);
      await waitFor(() => performance.now() > frozenAt + 2 * ttlMs, 3 * ttlMs, 'twice the TTL');
      await waitFor(() => errors.length > 0, 2 * ttlMs, 'an error event');
      await waitFor(() => followerErrors.length > 0, 2 * ttlMs, 'an error event at the follower');
      server.resume();
      await oneLeader(cs, 6 * ttlMs + 10_000, 'a leader after the thaw');
      const back = leaders(cs)[0]!;
      await waitFor(() => f.leader === back.node, 4 * ttlMs, 'the follower to name it');
      if (options.handles !== undefined) {
        await waitFor(
          async () => (await options.handles!(server, key)) <= cs.length,
          3 * ttlMs,
          'no leaked handles',
        );
      }
    });

    it('retries an acquire that never reached the store, and leads with no handle left over', async () => {
      fresh();
      const requestTimeoutMs = Math.round(ttlMs / 4);
      const real = store();
      // The first acquire is lost on its way: the store never sees it, nobody answers.
      let dropped = false;
      const lossy = new Proxy(real, {
        get(target, prop) {
          if (prop === 'acquire' && !dropped) {
            return () => {
              dropped = true;
              return new Promise<never>((_, reject) =>
                setTimeout(() => reject(new Error('request lost')), requestTimeoutMs * 2),
              );
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const errors: Error[] = [];
      const c = createCandidate(lossy, key, 'a', { ttl: ttlMs, seed: keyNumber, requestTimeoutMs });
      c.on('error', (e) => errors.push(e));
      running.push(c);
      log.watch(c);
      await waitFor(() => dropped, 5000, 'the first acquire');
      await waitFor(() => c.isLeader, 3 * ttlMs, 'the candidate to lead');
      expect(c.fencingToken).toBeGreaterThan(0);
      // The lost request was reported, not swallowed.
      expect(errors.length).toBeGreaterThan(0);
      if (options.handles !== undefined) {
        await waitFor(async () => (await options.handles!(server, key)) <= 1, ttlMs, 'one handle');
      }
    });

    it('adopts a lease the store granted whose answer was lost: it leads on that token, no TTL wait', async () => {
      fresh();
      const requestTimeoutMs = Math.round(ttlMs / 4);
      const real = store();
      // The store applies the first acquire; its answer never reaches the election.
      let lost: Promise<AcquireResult> | undefined;
      const lossy = new Proxy(real, {
        get(target, prop) {
          if (prop === 'acquire' && lost === undefined) {
            return (req: AcquireRequest) => {
              lost = target.acquire(req);
              // Fails once the election has long stopped waiting for it, as a lost answer does.
              return lost.then(
                () =>
                  new Promise<never>((_, reject) =>
                    setTimeout(() => reject(new Error('answer lost')), requestTimeoutMs * 2),
                  ),
              );
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const c = createCandidate(lossy, key, 'a', {
        ttl: ttlMs,
        seed: keyNumber,
        requestTimeoutMs,
      });
      running.push(c);
      log.watch(c);
      await waitFor(() => lost !== undefined, 5000, 'the first acquire');
      const granted = await lost!;
      expect(granted.acquired).toBe(true);
      await waitFor(() => c.isLeader, 3 * ttlMs, 'the candidate to lead');
      // Led on the lease it won unawares, not on a new one taken after that one ran out.
      expect(c.fencingToken).toBe((granted as { token: number }).token);
      if (options.handles !== undefined) {
        // A lease revoked on the way (a fresh one that found the key taken) may still be
        // counted for a moment; within one TTL only the adopted one is left.
        await waitFor(
          async () => (await options.handles!(server, key)) <= 1,
          ttlMs,
          'only the adopted handle',
        );
      }
    });

    it('a leader whose key is deleted behind its back steps down on its watch, not at its next renewal', async () => {
      fresh();
      const real = store();
      let renewalsSent = 0;
      let renewed: (() => void) | undefined;
      const counting = new Proxy(real, {
        get(target, prop) {
          if (prop === 'renew') {
            return async (req: { key: string; owner: string; ttlMs: number }) => {
              renewalsSent++;
              const alive = await target.renew(req);
              renewed?.();
              return alive;
            };
          }
          const v = Reflect.get(target, prop, target) as unknown;
          return typeof v === 'function' ? v.bind(target) : v;
        },
      });
      const c = createCandidate(counting, key, 'a', { ttl: ttlMs, seed: keyNumber });
      running.push(c);
      log.watch(c);
      await waitFor(() => c.isLeader, 3 * ttlMs, 'a leader');
      // Right after a renewal, so the next one is a whole renew interval away.
      await new Promise<void>((resolve) => {
        renewed = resolve;
      });
      renewed = undefined;
      const deposed = new Promise<number>((resolve) => {
        c.election.on('deposed', () => resolve(renewalsSent));
      });
      const sentBefore = renewalsSent;
      const other = store();
      const held = await other.inspect!(key);
      expect(held?.holder.value).toBe('a');
      await other.release({ key, owner: held!.owner });
      expect(await deposed).toBe(sentBefore);
    });

    it('survives a store restart on the same data directory with exactly one leader', async () => {
      fresh();
      const cs = ['a', 'b', 'c'].map(candidate);
      await oneLeader(cs, 10_000, 'a leader');
      await server.restart();
      // Wait out every lease given before the restart: a candidate whose calls kept timing
      // out while the server came back (a slow JVM on a loaded machine) gives up its
      // session, and its place in the queue with it, a session timeout or two later. Only
      // a leader that has held for longer than that counts; then insist it stays.
      let held: { leader: Candidate; since: number } | undefined;
      await waitFor(
        () => {
          const now = leaders(cs);
          if (now.length !== 1) held = undefined;
          else if (held?.leader !== now[0]) held = { leader: now[0]!, since: performance.now() };
          return held !== undefined && performance.now() - held.since >= 3 * ttlMs;
        },
        9 * ttlMs + 15_000,
        'a leader after restart',
      );
      const leader = held!.leader;
      for (const c of cs) {
        await waitFor(() => c.status().leader === leader.node, 4 * ttlMs, 'all to agree').catch(
          (err: Error) => {
            throw new Error(`${err.message}: ${describe(cs)}`);
          },
        );
      }
      expect(leaders(cs)).toEqual([leader]);
      // And it stays that way: not two leaders, not none, once every lease has come round.
      const settledAt = performance.now();
      await waitFor(() => performance.now() > settledAt + 2 * ttlMs, 4 * ttlMs, 'two TTLs');
      expect(leaders(cs)).toEqual([leader]);
      if (options.handles !== undefined) {
        await waitFor(
          async () => (await options.handles!(server, key)) <= cs.length,
          3 * ttlMs,
          'no leaked handles',
        );
      }
    });
  });
}
