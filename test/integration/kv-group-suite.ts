import { afterAll, beforeAll, expect, it } from 'vitest';
import { createElectionGroup, type ElectionGroup } from '../../src/group/index.js';
import type { DeposeReason } from '../../src/runtime/election.js';
import type { KvGroupCapable, KvGroupStore } from '../../transports/kv/group-types.js';
import type { KvStore } from '../../transports/kv/types.js';
import { waitFor } from './wait-for.js';

/** A store and the means to look into it, as one suite needs them. */
export interface GroupStoreRig {
  /** A new client (one per group, as separate processes would have). */
  connect(): KvStore;
  /** The distinct lease handles (etcd leases, ZooKeeper sessions, owners) holding `keys`. */
  handles(keys: string[]): Promise<number>;
  /**
   * Ends the group's shared lease at the store (revoke, expire), or, where the store has no
   * lease of its own, makes its keep-alives fail from now on ("stop renewals").
   */
  kill(group: ElectionGroup, store: KvStore, renewals: { failing: boolean }): Promise<void>;
  /** Store requests so far, counted at the server or in the client. */
  requests(): Promise<number>;
  close?(): Promise<void>;
}

export interface GroupSuiteOptions {
  name: string;
  ttlMs: number;
  /** Runs `suite` (a describe that skips when the server is missing). */
  describe: (name: string, suite: () => void) => void;
  rig: () => Promise<GroupStoreRig>;
  /** Elections in the at-rest count (default 300: enough that per-election requests would show). */
  restElections?: number;
  /** The TTL of the at-rest count (default `ttlMs`). */
  restTtlMs?: number;
}

/** A store client whose group side's keep-alives fail while `renewals.failing` is set. */
export function withFailingRenewals(store: KvStore, renewals: { failing: boolean }): KvStore {
  const capable = store as KvStore & KvGroupCapable;
  const group = capable.group.bind(capable);
  return Object.assign(store, {
    group(prefix: string): KvGroupStore {
      const side = group(prefix);
      const keepAlive = side.keepAlive.bind(side);
      return Object.assign(side, {
        keepAlive: (lease: string, ttlMs: number, keys: readonly string[]) =>
          renewals.failing
            ? Promise.reject(new Error('renewals stopped by the test'))
            : keepAlive(lease, ttlMs, keys),
      });
    },
  });
}

const names = (n: number) => Array.from({ length: n }, (_, i) => `e${i}`);

function leaders(group: ElectionGroup): string[] {
  return [...group.elections.values()].map((e) => e.status().leader ?? '-');
}

export function kvGroupSuite(options: GroupSuiteOptions): void {
  const { ttlMs } = options;
  options.describe(options.name, () => {
    let rig: GroupStoreRig;
    const groups: ElectionGroup[] = [];
    const clients: KvStore[] = [];
    let run = 0;
    beforeAll(async () => {
      rig = await options.rig();
    }, 120_000);
    afterAll(async () => {
      for (const g of groups) await g.stop().catch(() => undefined);
      for (const c of clients) await c.close().catch(() => undefined);
      await rig?.close?.();
    });

    const group = (
      id: string,
      key: string,
      elections: string[],
      ttl = ttlMs,
      renewals = { failing: false },
    ) => {
      const store = withFailingRenewals(rig.connect(), renewals);
      clients.push(store);
      const g = createElectionGroup({ protocol: 'kv', id, key, store, elections, ttlMs: ttl });
      g.on('error', () => undefined);
      groups.push(g);
      return { group: g, store, renewals };
    };

    it('elects exactly one leader per election, one lease per process; a lapsed lease deposes all at once and the other process takes over', async () => {
      const key = `grp/${process.pid}-${++run}`;
      const list = names(20);
      const a = group('a', key, list);
      const b = group('b', key, list);
      await a.group.start();
      await waitFor(
        () => [...a.group.elections.values()].every((e) => e.isLeader),
        ttlMs * 5,
        'a to lead every election',
      );
      await b.group.start();
      await waitFor(
        () => leaders(b.group).every((l) => l === 'a'),
        ttlMs * 5,
        'b to see a lead every election',
      );
      for (const e of b.group.elections.values()) expect(e.isLeader).toBe(false);
      expect(a.group.status().heldKeys).toBe(20);
      expect(await rig.handles(list.map((n) => `${key}/${n}`))).toBe(1);

      // Counts turns of the event loop: deposed at once means deposed in one turn.
      let turn = 0;
      let turning = true;
      const next = () => {
        turn++;
        if (turning) setImmediate(next);
      };
      setImmediate(next);
      const deposed: { turn: number; reason: DeposeReason }[] = [];
      for (const e of a.group.elections.values()) {
        e.on('deposed', ({ reason }) => deposed.push({ turn, reason }));
      }
      const signals = [...a.group.elections.values()].map((e) => {
        let aborted = false;
        e.whileLeader(
          (signal) =>
            new Promise<void>((resolve) => {
              signal.addEventListener('abort', () => {
                aborted = true;
                resolve();
              });
            }),
        ).catch(() => undefined);
        return () => aborted;
      });
      await rig.kill(a.group, a.store, a.renewals);
      await waitFor(() => deposed.length === 20, ttlMs * 5, 'every election of a to be deposed');
      expect(new Set(deposed.map((d) => d.reason))).toEqual(new Set(['shared-lease-lapsed']));
      turning = false;
      // At once: all in one turn, not one by one as each election's own clock ran out.
      expect(new Set(deposed.map((d) => d.turn)).size).toBe(1);
      await waitFor(() => signals.every((s) => s()), 1000, 'every leader signal to abort');
      await waitFor(
        () => [...b.group.elections.values()].every((e) => e.isLeader),
        ttlMs * 8,
        'b to take every election over',
      );
      for (const e of a.group.elections.values()) expect(e.isLeader).toBe(false);
      expect(await rig.handles(list.map((n) => `${key}/${n}`))).toBe(1);
      a.renewals.failing = false;
      await Promise.all([a.group.stop(), b.group.stop()]);
    });

    it(`makes about one store request per second at rest beyond the keep-alive, with ${options.restElections ?? 300} elections`, async () => {
      const key = `rest/${process.pid}-${++run}`;
      const list = names(options.restElections ?? 300);
      const restTtl = options.restTtlMs ?? ttlMs;
      const a = group('a', key, list, restTtl);
      const b = group('b', key, list, restTtl);
      await Promise.all([a.group.start(), b.group.start()]);
      // Whoever won each election, every election has exactly one leader both agree on.
      const settled = () =>
        list.every((name) => {
          const ea = a.group.elections.get(name)!;
          const eb = b.group.elections.get(name)!;
          const leader = ea.status().leader;
          return (
            ea.isLeader !== eb.isLeader &&
            leader === (ea.isLeader ? 'a' : 'b') &&
            eb.status().leader === leader
          );
        });
      await waitFor(settled, 60_000, 'one leader per election', 250);
      // Let the start-up reads and watches settle, then count.
      await new Promise((r) => setTimeout(r, restTtl * 1.5));
      const windowMs = Math.max(3000, restTtl * 2);
      const lapsesBefore = a.group.status().lapses + b.group.status().lapses;
      const before = await rig.requests();
      const from = performance.now();
      await new Promise((r) => setTimeout(r, windowMs));
      const after = await rig.requests();
      const seconds = (performance.now() - from) / 1000;
      const perSecond = (after - before) / seconds / 2;
      const keepalivePerSecond = 1000 / Math.round(restTtl / 3);
      console.log(
        `${options.name}: ${list.length} elections x 2 processes at rest: ${perSecond.toFixed(2)} store requests/s per process (keep-alive ${keepalivePerSecond.toFixed(2)}/s)`,
      );
      expect(perSecond).toBeLessThanOrEqual(keepalivePerSecond + 1.5);
      // Nothing changed hands while it was counted.
      expect(settled()).toBe(true);
      expect(a.group.status().lapses + b.group.status().lapses).toBe(lapsesBefore);
      await Promise.all([a.group.stop(), b.group.stop()]);
    }, 150_000);
  });
}
