// resign() handover on etcd: electorate's createCandidate against the etcd3 package's
// Election, two candidates each on its own client, in this process.
import { Etcd3 } from 'etcd3';
import { createCandidate, etcdStore } from '../dist/src/index.js';

const until = async (predicate, ms, what) => {
  const deadline = performance.now() + ms;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
};

/**
 * Milliseconds from the leader's resign() to the other candidate's elected event; each
 * candidate on a store of its own from `makeStore` (default: etcd at `hostPort`).
 */
export async function electorateHandover(
  hostPort,
  ttlMs,
  runs,
  makeStore = () => etcdStore({ hosts: hostPort }),
) {
  const key = `bench/electorate-${process.pid}-${Date.now()}`;
  const stores = ['a', 'b'].map(() => makeStore());
  const cs = ['a', 'b'].map((id, i) => createCandidate(stores[i], key, id, { ttl: ttlMs }));
  const electedAt = new Map();
  for (const c of cs)
    c.on('elected', ({ elected }) => elected && electedAt.set(c, performance.now()));
  const times = [];
  try {
    // The first handover also opens connections and warms caches: not counted.
    for (let run = -1; run < runs; run++) {
      await until(() => cs.some((c) => c.isLeader), 10_000, 'a leader');
      const leader = cs.find((c) => c.isLeader);
      const other = cs.find((c) => c !== leader);
      await until(() => other.status().leader === leader.node, 10_000, 'the other to see it');
      electedAt.delete(other);
      const t0 = performance.now();
      await leader.resign();
      await until(() => electedAt.has(other), 10_000, 'the handover');
      if (run >= 0) times.push(electedAt.get(other) - t0);
    }
  } finally {
    await Promise.all(cs.map((c) => c.stop()));
    await Promise.all(stores.map((s) => s.close()));
  }
  return times;
}

export async function etcd3Handover(hostPort, ttlMs, runs) {
  const key = `bench/etcd3-${process.pid}-${Date.now()}`;
  const clients = ['a', 'b'].map(() => new Etcd3({ hosts: `http://${hostPort}` }));
  const elections = clients.map((c) => c.election(key, Math.ceil(ttlMs / 1000)));
  const state = new Map();
  const campaign = (i) => {
    const c = elections[i].campaign(['a', 'b'][i]);
    state.set(i, { campaign: c, electedAt: undefined });
    c.on('elected', () => {
      const s = state.get(i);
      if (s.campaign === c) s.electedAt = performance.now();
    });
    c.on('error', () => {});
  };
  campaign(0);
  await until(() => state.get(0).electedAt !== undefined, 10_000, 'etcd3 first leader');
  campaign(1);
  const times = [];
  try {
    let leader = 0;
    for (let run = -1; run < runs; run++) {
      const other = 1 - leader;
      // The follower's campaign key must exist before the leader resigns.
      await state.get(other).campaign.getCampaignKey();
      await new Promise((r) => setTimeout(r, 20));
      const t0 = performance.now();
      await state.get(leader).campaign.resign();
      await until(() => state.get(other).electedAt !== undefined, 10_000, 'etcd3 handover');
      if (run >= 0) times.push(state.get(other).electedAt - t0);
      campaign(leader);
      leader = other;
    }
  } finally {
    for (const s of state.values()) await s.campaign.resign().catch(() => {});
    for (const c of clients) c.close();
  }
  return times;
}
