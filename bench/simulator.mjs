import { Simulation } from '../dist/src/sim/index.js';

/** Untimed runs before the timed ones: V8 keeps optimizing for about the first second. */
const WARM_UP_MS = 2000;

/**
 * Delivered messages per wall-clock second for a 5-node cluster over `virtualMs` of virtual
 * time, once warm: a property suite runs for seconds, so the rate that counts is the one
 * after compilation. The first half second runs at about 85 % of it.
 */
export function simulatorThroughput(seeds, virtualMs) {
  const warmUntil = performance.now() + WARM_UP_MS;
  for (let seed = -1; performance.now() < warmUntil; seed--) {
    new Simulation({ nodes: 5, seed, traceLimit: 0 }).run(virtualMs);
  }
  return seeds.map((seed) => {
    const start = performance.now();
    const sim = new Simulation({ nodes: 5, seed, traceLimit: 0 });
    sim.run(virtualMs);
    const wallSeconds = (performance.now() - start) / 1000;
    return {
      seed,
      delivered: sim.stats.delivered,
      wallSeconds,
      perSecond: sim.stats.delivered / wallSeconds,
    };
  });
}

/**
 * Wall time from constructing an n-node simulated cluster until every live node agrees on a
 * leader. agreedLeader() walks every node, so it is checked every `stepMs` of virtual time
 * rather than after every event.
 */
export function largeClusterElection(nodes, seed, { stepMs = 50, maxVirtualMs = 60_000 } = {}) {
  const start = performance.now();
  const sim = new Simulation({ nodes, seed, traceLimit: 0 });
  const built = performance.now();
  let leader = sim.agreedLeader();
  while (leader === undefined && sim.now < maxVirtualMs) {
    sim.run(stepMs);
    leader = sim.agreedLeader();
  }
  const end = performance.now();
  return {
    nodes,
    seed,
    leader: leader ?? null,
    virtualMs: sim.now,
    buildSeconds: (built - start) / 1000,
    wallSeconds: (end - start) / 1000,
    delivered: sim.stats.delivered,
  };
}
