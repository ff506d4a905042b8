// The benchmark behind README's performance table: Raft and Bully clusters of real processes
// on loopback, the simulator, deterministic election, and KV-lease on real etcd and PostgreSQL. Run with `npm run bench` (it builds
// first); `--runs N` sets the failover repetitions, `--only raft,bully,elect` picks parts, and
// `--only idle` runs only the Raft part's settled idle CPU beside the bare-socket floor.
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import { bullyPart } from './bully-part.mjs';
import { checkPart } from './check-part.mjs';
import { dashboardPart } from './dashboard-part.mjs';
import { closeConnections } from './diag-client.mjs';
import { electPart } from './elect-part.mjs';
import { groupPart } from './group-part.mjs';
import { idlePart } from './idle-part.mjs';
import { kvPart } from './kv-part.mjs';
import { postgresPart } from './kv-postgres-part.mjs';
import { lesPart } from './les-part.mjs';
import { raftPart } from './raft-part.mjs';
import { markdownTable, writeJson } from './report.mjs';

const RESULTS = fileURLToPath(new URL('./results.json', import.meta.url));
const PARTS = {
  raft: (runs, log) => raftPart(runs, log),
  idle: (runs, log) => idlePart(runs, log),
  bully: (runs, log) => bullyPart(runs, log),
  elect: (_runs, log) => electPart(log),
  les: (runs, log) => lesPart(runs, log),
  kv: (runs, log) => kvPart(runs, log),
  postgres: (runs, log) => postgresPart(runs, log),
  dashboard: (runs, log) => dashboardPart(runs, log),
  check: (_runs, log) => checkPart(log),
  groups: (_runs, log) => groupPart(log),
};
const USAGE =
  'usage: node bench/run.mjs [--runs N] [--only PART,...] (N from 1 to 1000; parts raft, idle, bully, elect, les, kv, postgres, dashboard, check, groups)';

function usage(problem) {
  console.error(`bench: ${USAGE}, got ${problem}`);
  process.exit(2);
}

function parseArgs(argv) {
  let runs = 20;
  // `idle` is part of `raft`: run alone, it compares builds in a minute and a half.
  let only = Object.keys(PARTS).filter((p) => p !== 'idle');
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const [name, inline] = arg.startsWith('--') && arg.includes('=') ? arg.split(/=(.*)/s) : [arg];
    const value = inline ?? argv[++i];
    const given = `'${name}${value === undefined ? '' : ` ${value}`}'`;
    if (name === '--runs') {
      if (
        value === undefined ||
        !/^[0-9]+$/.test(value) ||
        Number(value) < 1 ||
        Number(value) > 1000
      )
        usage(given);
      runs = Number(value);
    } else if (name === '--only') {
      const picked = (value ?? '').split(',');
      if (picked.some((p) => !Object.hasOwn(PARTS, p))) usage(given);
      only = picked;
    } else {
      usage(`'${arg}'`);
    }
  }
  return { runs, only };
}

const log = (line) => console.log(line);

async function main() {
  const { runs, only } = parseArgs(process.argv.slice(2));
  const loadBefore = os.loadavg()[0];
  log(`electorate bench: ${only.join(', ')}; ${runs} runs`);
  const results = {};
  try {
    for (const name of only) {
      const start = performance.now();
      results[name] = await PARTS[name](runs, log);
      log(`${name}: done in ${((performance.now() - start) / 1000).toFixed(1)} s\n`);
    }
  } finally {
    closeConnections();
  }
  const loadAfter = os.loadavg()[0];
  const rows = only.flatMap((name) => results[name].rows);
  log(markdownTable(rows));
  writeJson(RESULTS, {
    date: new Date().toISOString(),
    machine: {
      cpus: os.cpus().length,
      cpu: os.cpus()[0]?.model ?? 'unknown',
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    settings: {
      runs,
      ...Object.fromEntries(only.map((name) => [name, results[name].settings])),
    },
    table: rows,
    raw: Object.fromEntries(only.map((name) => [name, results[name].raw])),
  });
  // Other work on the machine inflates every figure here; the load says how much to trust them.
  log(
    `\nload average (1 min): ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after, ${os.cpus().length} cpus`,
  );
  log(`written to ${RESULTS}`);
}

main().catch((err) => {
  console.error(`bench: ${err.message}`);
  process.exitCode = 1;
});
