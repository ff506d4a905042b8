import { bullyProtocol } from '../dist/machines/bully/definition.js';
import { SeededGenerator, Simulation } from '../dist/src/sim/index.js';

const SIZE = 5;
const LIMIT_MS = 10_000;
/** As in the process benchmark: late rounds count against the failover that caused them. */
const AFTERMATH_MS = 1000;

function contexts(sim, ids) {
  return ids.map((id) => sim.snapshot(id).context);
}

function broadcasts(sent) {
  return sent.election + sent.ok + sent.coordinator;
}

/**
 * The process benchmark's crash failover in virtual time: five nodes on the simulator's
 * default network (1-5 ms links), the top node killed at a point in its announcement cycle
 * drawn from the seed, timed until every survivor follows the next.
 */
export function simulateBullyFailover(seeds, timing) {
  const ids = Array.from({ length: SIZE }, (_, i) => `n${i + 1}`);
  const survivors = ids.slice(0, -1);
  const top = ids.at(-1);
  const next = survivors.at(-1);
  const times = [];
  const messagesPerFailover = [];
  let oneRound = 0;
  let timeouts = 0;
  const start = performance.now();
  for (const seed of seeds) {
    const sim = new Simulation({
      nodes: SIZE,
      seed,
      protocol: bullyProtocol,
      options: timing,
      traceLimit: 0,
    });
    if (!sim.runUntil((s) => s.agreedLeader() === top, LIMIT_MS)) {
      throw new Error(`simulated bully cluster (seed ${seed}) never elected ${top}`);
    }
    sim.run(new SeededGenerator(seed).between(0, 10 * timing.announceMs));
    const before = contexts(sim, survivors);
    sim.crash(top);
    const crashedAt = sim.now;
    const agreed = sim.runUntil((s) => s.agreedLeader() === next, LIMIT_MS);
    const atAgreement = contexts(sim, survivors);
    if (agreed) times.push(sim.now - crashedAt);
    else {
      timeouts++;
      times.push(LIMIT_MS);
    }
    messagesPerFailover.push(
      atAgreement.reduce((s, c, i) => s + broadcasts(c.sent) - broadcasts(before[i].sent), 0),
    );
    sim.run(AFTERMATH_MS);
    const rounds = contexts(sim, survivors).map((c, i) => c.rounds - before[i].rounds);
    if (rounds.every((r) => r <= 1)) oneRound++;
  }
  return {
    seeds: seeds.length,
    times,
    timeouts,
    oneRoundShare: oneRound / seeds.length,
    messagesPerFailover,
    wallSeconds: (performance.now() - start) / 1000,
  };
}
