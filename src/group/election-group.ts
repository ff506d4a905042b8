import type { Role } from '../../machines/index.js';
import type { KvGroupCapable } from '../../transports/kv/group-types.js';
import { defaultMemoryStore } from '../../transports/kv/memory-store.js';
import type { KvStore } from '../../transports/kv/types.js';
import { createGroupedElection, type Election } from '../runtime/election.js';
import { EventHub } from '../runtime/event-hub.js';
import { ElectionStore } from './election-store.js';
import { checkGroupOptions, groupPrefix, type KvElectionGroupOptions } from './group-options.js';
import { groupTiming } from './group-timing.js';
import { GroupWatches } from './group-watches.js';
import { RequestGate } from './request-gate.js';
import { SharedLease } from './shared-lease.js';

/** One election of a group, as `ElectionGroup.status()` lists it. */
export interface GroupElectionStatus {
  /** The election's name in the group. */
  name: string;
  /** Its key at the store: the group's prefix and the name. */
  key: string;
  role: Role;
  /** The leader this process knows of (null: none). */
  leader: string | null;
  /** Whether this process leads it now (the lease clock is read). */
  isLeader: boolean;
  /** The leader's fencing token as last seen (the KV term). */
  term: number | undefined;
  /** This process's fencing token, while it leads. */
  fencingToken?: number;
}

/** What `ElectionGroup.status()` answers: the shared lease, and every election. */
export interface ElectionGroupStatus {
  id: string;
  protocol: 'kv';
  /** The store's kind (etcd, zookeeper, redis, postgres, memory). */
  store: string;
  /** The shared lease's handle now (an etcd lease id, a ZooKeeper session), or null. */
  lease: string | null;
  /** Keys held under it now. */
  heldKeys: number;
  /** Times the shared lease lapsed, deposing every election under it. */
  lapses: number;
  /** Store requests made for the group as a whole: grants, keep-alives, revokes and group reads. */
  groupRequests: number;
  elections: GroupElectionStatus[];
}

/** The events of an `ElectionGroup`. */
export interface ElectionGroupEvents {
  /** A keep-alive or group read failed, the shared lease lapsed, or an election reported an error (named in the message). */
  error: Error;
}

/** Many KV elections in one process over one store lease; see `createElectionGroup`. */
export interface ElectionGroup {
  /** Every election by name: each is a full `Election` with its own events, signal and token. */
  readonly elections: ReadonlyMap<string, Election>;
  /** Starts every election; resolves once all have started. */
  start(): Promise<void>;
  /** Stops every election (leaders release their keys), then revokes the shared lease. */
  stop(): Promise<void>;
  /** The shared lease and each election's role, leader and token. */
  status(): ElectionGroupStatus;
  /** Adds a listener; returns a function that removes it. */
  on<K extends keyof ElectionGroupEvents>(
    type: K,
    listener: (event: ElectionGroupEvents[K]) => void,
  ): () => void;
  /** Removes a listener added with `on`. */
  off<K extends keyof ElectionGroupEvents>(
    type: K,
    listener: (event: ElectionGroupEvents[K]) => void,
  ): void;
}

/** Acquires one group sends its store at once. */
const ACQUIRES_AT_ONCE = 64;

/** Options of `createElectionGroup`. */
export type ElectionGroupOptions = KvElectionGroupOptions;

/**
 * Runs many KV elections in one process on one store, sharing one lease (etcd), one session
 * (ZooKeeper) or one renewal request (Redis, PostgreSQL, memory) among them. Election
 * `name` runs on the key `<key>/<name>` with the unchanged KV election machine; a renewal
 * costs no request, and at rest the group makes one keep-alive per third of the TTL and one
 * group read per `checkMs`. When the shared lease lapses, every election under it is
 * deposed at once with reason `shared-lease-lapsed`. Throws a TypeError or RangeError for
 * bad options (names, timing, a store without groups).
 */
export function createElectionGroup(options: ElectionGroupOptions): ElectionGroup {
  checkGroupOptions(options);
  const timing = groupTiming(options);
  const store: KvStore = options.store ?? defaultMemoryStore();
  const prefix = groupPrefix(options.key);
  const side = (store as KvStore & KvGroupCapable).group(prefix);
  const hub = new EventHub<ElectionGroupEvents>();
  const fail = (error: Error) => {
    hub.emit('error', error);
  };
  const byKey = new Map<string, { store: ElectionStore; election: Election }>();
  const lease = new SharedLease(side, timing, {
    lapsed: (held) => {
      for (const [key, owner] of held) byKey.get(key)?.store.lapse(owner);
      // Synchronous: each leader's 'deposed' is out before this returns.
      for (const key of held.keys()) void byKey.get(key)?.election.resign();
    },
    error: fail,
  });
  const watches = new GroupWatches(side, timing.checkMs, timing.requestTimeoutMs, fail);
  let connecting: Promise<void> | undefined;
  const connect = (ttlMs: number) => {
    connecting ??= side.connect(ttlMs).catch((err) => {
      connecting = undefined;
      throw err;
    });
    return connecting;
  };
  const gate = new RequestGate(ACQUIRES_AT_ONCE);
  const elections = new Map<string, Election>();
  for (const name of options.elections) {
    const key = `${prefix}${name}`;
    const electionStore = new ElectionStore(options.id, side, lease, watches, connect, gate);
    let election: Election;
    try {
      election = createGroupedElection(
        {
          protocol: 'kv',
          id: options.id,
          key,
          store: electionStore,
          name: key,
          ttlMs: timing.ttlMs,
          // Each election's lease ends a keep-alive interval early: see SharedLease.
          marginMs: timing.marginMs + timing.keepaliveMs,
          renewMs: timing.renewMs,
          requestTimeoutMs: timing.requestTimeoutMs,
          ...(options.backoffMinMs === undefined ? {} : { backoffMinMs: options.backoffMinMs }),
          ...(options.backoffMaxMs === undefined ? {} : { backoffMaxMs: options.backoffMaxMs }),
          ...(options.follow === undefined ? {} : { follow: options.follow }),
          ...(options.seed === undefined ? {} : { seed: options.seed }),
        },
        () => electionStore.lapsed || lease.overdue(),
      );
    } catch (err) {
      throw new RangeError(`election group timing: ${(err as Error).message}`, { cause: err });
    }
    election.on('error', (error) =>
      fail(new Error(`election ${name}: ${error.message}`, { cause: error })),
    );
    elections.set(name, election);
    byKey.set(key, { store: electionStore, election });
  }

  let phase: 'idle' | 'running' | 'stopped' = 'idle';
  return {
    elections,
    async start() {
      if (phase !== 'idle') throw new Error(`cannot start an election group that is ${phase}`);
      phase = 'running';
      watches.start();
      await Promise.all([...elections.values()].map((e) => e.start()));
    },
    async stop() {
      if (phase === 'stopped') return;
      phase = 'stopped';
      await Promise.all([...elections.values()].map((e) => e.stop()));
      watches.stop();
      await lease.close();
      await side.close().catch(fail);
    },
    status() {
      return {
        id: options.id,
        protocol: 'kv',
        store: side.kind,
        lease: lease.handle ?? null,
        heldKeys: lease.keys,
        lapses: lease.lapses,
        groupRequests: lease.requests + watches.reads,
        elections: [...elections].map(([name, election]) => {
          const s = election.status();
          return {
            name,
            key: `${prefix}${name}`,
            role: s.role,
            leader: s.leader,
            isLeader: s.isLeader,
            term: s.term,
            ...(s.fencingToken === undefined ? {} : { fencingToken: s.fencingToken }),
          };
        }),
      };
    },
    on: (type, listener) => hub.on(type, listener),
    off: (type, listener) => hub.off(type, listener),
  };
}
