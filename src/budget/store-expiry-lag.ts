/** The stores a kv election runs on, as `electorate budget --store` names them. */
export const KV_STORE_KINDS = ['etcd', 'zookeeper', 'redis', 'postgres', 'memory'] as const;
/** A kind of KV store the budget knows the expiry lag and round trips of. */
export type KvStoreKind = (typeof KV_STORE_KINDS)[number];

/** Milliseconds a store adds, and how they come about. */
export interface StoreCost {
  ms: number;
  formula: string;
}

/**
 * etcd's lessor looks for expired leases every 500 ms (lease/lessor.go, runLoop), and no
 * lease is shorter than 1.5 election timeouts rounded up to whole seconds: 2 s with etcd's
 * default 100 ms heartbeat and 1000 ms election timeout (etcdserver/server.go, minTTL).
 */
const ETCD_SWEEP_MS = 500;
const ETCD_MIN_LEASE_S = 2;
/**
 * ZooKeeper expires sessions in buckets one tickTime wide (ExpiryQueue rounds every expiry
 * up to the next tick) and grants no session under 2 ticks (minSessionTimeout). 2000 ms is
 * the tickTime of the zoo.cfg ZooKeeper and Debian ship.
 */
const ZK_TICK_MS = 2000;
/** Redis finds expired keys in a sweep run `hz` times a second: 10 unless configured. */
const REDIS_SWEEP_MS = 100;
/** How often a Redis watch reads the key when the server sends no keyspace events. */
const REDIS_POLL_MS = 100;
/**
 * What the store's own write of the deletion may take (etcd's revocation is a Raft commit,
 * ZooKeeper's session close a logged transaction, Redis's DEL an fsync with
 * appendfsync always); no network delay covers it.
 */
const DISK_WRITE_MS = 50;

/**
 * How long past the ttl (counted from the leader's last renewal reaching the store) a store
 * with its default server settings may still hold the key where a watch can see it.
 */
export function storeExpiryLag(store: KvStoreKind, ttlMs: number): StoreCost {
  switch (store) {
    case 'etcd': {
      const leaseMs = Math.max(Math.ceil(ttlMs / 1000), ETCD_MIN_LEASE_S) * 1000;
      const longer = leaseMs - ttlMs;
      const lease =
        longer > 0
          ? `grants ${leaseMs / 1000} s (whole seconds, at least ${ETCD_MIN_LEASE_S}): +${longer} ms; `
          : '';
      return {
        ms: longer + ETCD_SWEEP_MS + DISK_WRITE_MS,
        formula: `etcd ${lease}revokes expired leases on a ${ETCD_SWEEP_MS} ms loop: +${ETCD_SWEEP_MS} ms; commits the revocation: +${DISK_WRITE_MS} ms`,
      };
    }
    case 'zookeeper': {
      const sessionMs = Math.max(ttlMs, 2 * ZK_TICK_MS);
      const longer = sessionMs - ttlMs;
      const session =
        longer > 0 ? `grants ${sessionMs} ms (at least 2 ticks): +${longer} ms; ` : '';
      return {
        ms: longer + ZK_TICK_MS + DISK_WRITE_MS,
        formula: `ZooKeeper (tickTime ${ZK_TICK_MS} ms) ${session}expires sessions at the next tick: +${ZK_TICK_MS} ms; commits the close: +${DISK_WRITE_MS} ms`,
      };
    }
    case 'redis':
      return {
        ms: REDIS_SWEEP_MS + DISK_WRITE_MS,
        formula: `Redis (hz 10) sweeps expired keys every ${REDIS_SWEEP_MS} ms (and a watch without keyspace events polls as often): +${REDIS_SWEEP_MS} ms; writes the deletion: +${DISK_WRITE_MS} ms`,
      };
    case 'postgres':
      return {
        ms: 1,
        formula:
          'PostgreSQL deletes nothing; the watch reads again 1 ms after the lease ends by the server’s clock: +1 ms',
      };
    case 'memory':
      return { ms: 1, formula: 'memory drops the key on a timer: +1 ms' };
  }
}

/**
 * What a store's watch and acquire take past the budget's one-way event and one round trip:
 * `delays` more one-way delays and `ms` more milliseconds, for the reason `why`.
 */
export interface StoreTrips {
  delays: number;
  ms: number;
  why: string;
}

/** A store's extra trips after its key expired (a crash) and after a release (a resignation). */
export function storeTrips(store: KvStoreKind): { crash?: StoreTrips; handover?: StoreTrips } {
  switch (store) {
    case 'etcd': {
      const grant = { delays: 2, ms: 0, why: 'etcd: the acquire first grants a lease' };
      return { crash: grant, handover: grant };
    }
    case 'zookeeper': {
      const queue = {
        delays: 10,
        ms: 0,
        why: 'ZooKeeper: the watch lists the queue twice and reads its head, the acquire checks, lists and claims',
      };
      return { crash: queue, handover: queue };
    }
    case 'redis':
      return {
        crash: { delays: 2, ms: 0, why: 'Redis: the watch reads the key after the event' },
        handover: {
          delays: 2,
          ms: REDIS_POLL_MS,
          why: `Redis: the watch reads the key after the event, or polls every ${REDIS_POLL_MS} ms without keyspace events`,
        },
      };
    case 'postgres':
      // A release's notification carries the new holder: a handover needs no read.
      return { crash: { delays: 2, ms: 0, why: 'PostgreSQL: the watch reads the expired lease' } };
    case 'memory':
      return {};
  }
}
