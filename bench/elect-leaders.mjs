// Cost of electLeaders on a large peer list, and how evenly each strategy spreads leadership
// over entropy shaped like block hashes. Run `npx tsc -p tsconfig.build.json` first.
import { createHash } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { varint } from '../dist/src/entropy/go-varint.js';
import { electLeaders } from '../dist/src/entropy/index.js';

const RENDEZVOUS_BUDGET_MS = 20;
const CHAINPOINT_SEED_BYTES = 7;

function median(sorted) {
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function timeCalls(run, { warmup, calls }) {
  for (let i = 0; i < warmup; i++) run(i);
  const times = [];
  for (let i = 0; i < calls; i++) {
    const start = performance.now();
    run(warmup + i);
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return { medianMs: median(times), worstMs: times[times.length - 1] };
}

/** 64 lowercase hex characters each, like the block hashes callers tend to use as entropy. */
function hexEntropies(count) {
  return Array.from({ length: count }, (_, i) =>
    createHash('sha256').update(`electorate bench entropy ${i}`).digest('hex'),
  );
}

function leaderCounts(peers, entropies, strategy) {
  const counts = new Map(peers.map((p) => [p, 0]));
  for (const entropy of entropies) {
    const [leader] = electLeaders(peers, 1, entropy, { strategy });
    counts.set(leader, counts.get(leader) + 1);
  }
  const values = [...counts.values()];
  return { counts: Object.fromEntries(counts), max: Math.max(...values), min: Math.min(...values) };
}

/**
 * Measures both strategies and returns the figures; prints nothing, so a combined runner can
 * lay out several benches its own way.
 */
export async function benchElectLeaders({
  peerCount = 10_000,
  warmup = 5,
  calls = 50,
  entropyCount = 10_000,
  biasPeerCount = 10,
} = {}) {
  const peers = Array.from({ length: peerCount }, (_, i) => `peer-${i}`);
  const timingEntropies = hexEntropies(warmup + calls);
  const timing = {};
  for (const strategy of ['rendezvous', 'chainpoint']) {
    timing[strategy] = timeCalls((i) => electLeaders(peers, 1, timingEntropies[i], { strategy }), {
      warmup,
      calls,
    });
  }

  const entropies = hexEntropies(entropyCount);
  const encoder = new TextEncoder();
  const seeds = new Set(
    entropies.map((e) => varint(encoder.encode(e).subarray(0, CHAINPOINT_SEED_BYTES))),
  );
  const biasPeers = Array.from({ length: biasPeerCount }, (_, i) => `peer-${i}`);

  return {
    peerCount,
    calls,
    timing,
    rendezvousBudgetMs: RENDEZVOUS_BUDGET_MS,
    rendezvousWithinBudget: timing.rendezvous.medianMs <= RENDEZVOUS_BUDGET_MS,
    entropyCount,
    distinctChainpointSeeds: seeds.size,
    bias: {
      peerCount: biasPeerCount,
      chainpoint: leaderCounts(biasPeers, entropies, 'chainpoint'),
      rendezvous: leaderCounts(biasPeers, entropies, 'rendezvous'),
    },
  };
}

function report(figures) {
  const ms = (v) => v.toFixed(2).padStart(8);
  console.log(`electLeaders, ${figures.peerCount} peers, ${figures.calls} calls after warm-up`);
  console.log('strategy      median ms   worst ms');
  for (const [strategy, t] of Object.entries(figures.timing)) {
    console.log(`${strategy.padEnd(12)}  ${ms(t.medianMs)}   ${ms(t.worstMs)}`);
  }
  const verdict = figures.rendezvousWithinBudget ? 'PASS' : 'MISS';
  console.log(`${verdict} rendezvous median <= ${figures.rendezvousBudgetMs} ms per call`);
  console.log('');
  console.log(
    `${figures.entropyCount} random 64-char hex entropies -> ` +
      `${figures.distinctChainpointSeeds} distinct chainpoint seeds`,
  );
  const { bias } = figures;
  console.log(`leader counts over ${bias.peerCount} peers (n = 1):`);
  console.log('peer        chainpoint  rendezvous');
  for (const peer of Object.keys(bias.rendezvous.counts)) {
    const c = String(bias.chainpoint.counts[peer]).padStart(10);
    const r = String(bias.rendezvous.counts[peer]).padStart(10);
    console.log(`${peer.padEnd(10)}  ${c}  ${r}`);
  }
  console.log(
    `max/min     ${`${bias.chainpoint.max}/${bias.chainpoint.min}`.padStart(10)}  ` +
      `${`${bias.rendezvous.max}/${bias.rendezvous.min}`.padStart(10)}`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  report(await benchElectLeaders());
}
