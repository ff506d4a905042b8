// Part `check`: the model checker's speed, and the whole Raft election space for three
// nodes (max term 3, at most one fault) explored to the end, with two messages in flight
// and with three (on every core).
import { availableParallelism } from 'node:os';
import { modelCheck } from '../dist/src/check/index.js';
import { row } from './report.mjs';

const FULL_SPACE_BUDGET_S = 60;
const STATES_PER_SECOND_TARGET = 50_000;
const THREE_IN_FLIGHT_BUDGET_S = 600;
const THREE_IN_FLIGHT_RATE_TARGET = 150_000;

const count = (n) => Math.round(n).toLocaleString('en-US');

function run(log, label, protocol, bounds) {
  const r = modelCheck(protocol, bounds);
  const seconds = r.elapsedMs / 1000;
  log(
    `check ${label}: ${count(r.states)} states, ${count(r.transitions)} transitions, depth ${r.depth}, ` +
      `${seconds.toFixed(1)} s, ${count(r.statesPerSecond)} states/s, ${r.complete ? 'complete' : 'cut short'}, ` +
      `${r.workers} thread(s), collision odds ${r.collisionProbability.toExponential(1)}, ` +
      `${r.ok ? 'ok' : `VIOLATED ${r.violation.invariant}`}`,
  );
  return {
    label,
    ok: r.ok,
    complete: r.complete,
    states: r.states,
    transitions: r.transitions,
    depth: r.depth,
    seconds,
    statesPerSecond: r.statesPerSecond,
    machineSteps: r.machineSteps,
    workers: r.workers,
    reduced: r.reduced,
    reductions: r.reductions,
    collisionProbability: r.collisionProbability,
    bounds: r.bounds,
  };
}

export async function checkPart(log) {
  const raft = run(log, 'raft, 3 nodes, max term 3, 1 fault', 'raft', {});
  const exact = run(log, 'raft exact (symmetry alone)', 'raft', { reduce: false });
  const cores = availableParallelism();
  const threads = run(log, `raft on ${cores} threads`, 'raft', { workers: cores });
  const deep = run(log, `raft, 3 in flight, on ${cores} threads`, 'raft', {
    maxInFlight: 3,
    workers: cores,
  });
  const timed = run(log, 'raft timed, 3 nodes, max term 2, 1 fault', 'raft', {
    timed: true,
    maxTerm: 2,
  });
  const bully = run(log, 'bully, 3 nodes, 1 fault', 'bully', {});
  const entropy = run(log, 'entropy, 3 nodes, 2 rounds, 1 duplicate', 'entropy', {});
  const les = run(log, 'les, 2 nodes, 1 polling round, 1 fault', 'les', {});
  const kv = run(log, 'kv timed, 2 candidates and the store, 2 tokens', 'kv', {});
  const all = [raft, exact, threads, deep, timed, bully, entropy, les, kv];
  return {
    rows: [
      row(
        `check raft: whole election space (3 nodes, max term 3, 1 fault, ${raft.bounds.maxInFlight} in flight)`,
        raft.seconds,
        `${count(raft.states)} states in ${raft.seconds.toFixed(1)} s`,
        `complete, < ${FULL_SPACE_BUDGET_S} s`,
        raft.complete && raft.ok && raft.seconds < FULL_SPACE_BUDGET_S,
      ),
      row(
        'check raft: states per second (one core)',
        raft.statesPerSecond,
        `${count(raft.statesPerSecond)}/s`,
        `≥ ${count(STATES_PER_SECOND_TARGET)}/s`,
        raft.statesPerSecond >= STATES_PER_SECOND_TARGET,
      ),
      row(
        `check raft: whole space with 3 in flight (${deep.workers} threads)`,
        deep.seconds,
        `${count(deep.states)} states in ${deep.seconds.toFixed(1)} s (${count(deep.statesPerSecond)}/s)`,
        `complete, < ${THREE_IN_FLIGHT_BUDGET_S} s, ≥ ${count(THREE_IN_FLIGHT_RATE_TARGET)}/s`,
        deep.complete &&
          deep.ok &&
          deep.seconds < THREE_IN_FLIGHT_BUDGET_S &&
          deep.statesPerSecond >= THREE_IN_FLIGHT_RATE_TARGET,
      ),
      ...[exact, threads, timed, bully, entropy, les, kv].map((r) =>
        row(
          `check ${r.label}`,
          r.seconds,
          `${count(r.states)} states in ${r.seconds.toFixed(1)} s (${count(r.statesPerSecond)}/s)`,
        ),
      ),
    ],
    settings: Object.fromEntries(all.map((r) => [r.label, r.bounds])),
    raw: all,
  };
}
