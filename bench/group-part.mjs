// Many elections per process: Raft groups between three processes against as many
// independent elections, at rest and after a SIGKILL; and KV elections on a real etcd, one
// lease per process, against the etcd3 package's Election.
import { timingBudget } from '../dist/src/budget/timing-budget.js';
import { startEtcd } from './kv-etcd-server.mjs';
import { measureEtcd3, measureKvGroup } from './kv-groups.mjs';
import { measureIndependentRaft, measureRaftGroup } from './raft-groups.mjs';
import { ms, row } from './report.mjs';
import { median } from './stats.mjs';

const DEFAULT_TIMING = { heartbeatMs: 50, electionTimeoutMs: [150, 300] };
/** What a thousand elections need on a small host (docs/raft.md, election groups). */
const SCALED_TIMING = { heartbeatMs: 250, electionTimeoutMs: [1000, 2000] };
const SECONDS = 10;
const SETTLE_MS = 60_000;

const pct = (v) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(1)} %`);
const mib = (kib) => `${(kib / 1024).toFixed(1)} MiB`;

function atRest(log, what, r) {
  if (!r.settled) {
    log(`groups: ${what}: did not settle within ${SETTLE_MS / 1000} s`);
    return { cpu: Number.NaN, rss: Number.NaN };
  }
  const cpu = median(r.cpu);
  const rss = median(r.rss);
  log(
    `groups: ${what}: CPU % ${r.cpu.map((c) => c.toFixed(1)).join(' ')}, RSS ${r.rss.map(mib).join(' ')}` +
      (r.frames ? `, frames/s per link ${r.frames.map((f) => f.toFixed(1)).join(' ')}` : '') +
      (r.releadMs === undefined
        ? ''
        : `, ${r.orphans} shards of the killed member re-led in ${ms(r.releadMs)}`),
  );
  return { cpu, rss };
}

async function raftRows(log) {
  const raw = {};
  const measured = {};
  for (const n of [1, 100, 1000]) {
    const r = await measureRaftGroup(n, DEFAULT_TIMING, {
      seconds: SECONDS,
      settleMs: SETTLE_MS,
      kill: n === 100,
    });
    raw[`group${n}`] = r;
    measured[`group${n}`] = atRest(log, `raft group of ${n}, heartbeat 50 ms`, r);
  }
  const scaled = await measureRaftGroup(1000, SCALED_TIMING, {
    seconds: SECONDS,
    settleMs: SETTLE_MS,
  });
  raw.group1000scaled = scaled;
  measured.group1000scaled = atRest(log, 'raft group of 1000, heartbeat 250 ms', scaled);
  const scaledOne = await measureRaftGroup(1, SCALED_TIMING, {
    seconds: SECONDS,
    settleMs: SETTLE_MS,
  });
  raw.group1scaled = scaledOne;
  measured.group1scaled = atRest(log, 'raft group of 1, heartbeat 250 ms', scaledOne);
  for (const n of [1, 100]) {
    const r = await measureIndependentRaft(n, DEFAULT_TIMING, {
      seconds: SECONDS,
      settleMs: SETTLE_MS,
    });
    raw[`independent${n}`] = r;
    measured[`independent${n}`] = atRest(log, `${n} independent raft elections`, r);
  }
  const m = measured;
  const budget = timingBudget({ protocol: 'raft', options: DEFAULT_TIMING }, { nodes: 3 });
  const relead = raw.group100.releadMs ?? Number.NaN;
  const ratio = m.group1000.cpu / m.group1.cpu;
  const scaledRatio = m.group1000scaled.cpu / m.group1scaled.cpu;
  const perElection = (a, b, n) => (a - b) / (n - 1);
  return {
    raw,
    rows: [
      row(
        'Raft groups at rest, CPU per process, 1 / 100 / 1,000 elections (heartbeat 50 ms)',
        m.group100.cpu,
        `${pct(m.group1.cpu)} / ${pct(m.group100.cpu)} / ${pct(m.group1000.cpu)}`,
      ),
      row(
        'Raft 1,000 elections in a group vs one, CPU (heartbeat 50 ms)',
        ratio,
        Number.isNaN(ratio) ? 'did not settle' : `${ratio.toFixed(1)}×`,
        '≤ 3×',
        ratio <= 3,
      ),
      row(
        'Raft 1,000 elections in a group vs one, CPU (heartbeat 250 ms)',
        scaledRatio,
        `${scaledRatio.toFixed(1)}× (${pct(m.group1scaled.cpu)} → ${pct(m.group1000scaled.cpu)})`,
        '≤ 3×',
        scaledRatio <= 3,
      ),
      row(
        'Raft independent elections at rest, CPU per process, 1 / 100',
        m.independent100.cpu,
        `${pct(m.independent1.cpu)} / ${pct(m.independent100.cpu)}`,
      ),
      row(
        'Raft memory per election, group vs independent (RSS growth 1 → 100)',
        perElection(m.group100.rss, m.group1.rss, 100),
        `${(perElection(m.group100.rss, m.group1.rss, 100)).toFixed(0)} KiB vs ${(perElection(m.independent100.rss, m.independent1.rss, 100)).toFixed(0)} KiB`,
      ),
      row(
        'Raft group of 100: every shard of a SIGKILLed member re-led',
        relead,
        `${ms(relead)} (${raw.group100.orphans ?? 0} shards)`,
        `≤ ${ms(budget.crashFailover.ms * 1.2)} (crash failover bound + 20 %)`,
        relead <= budget.crashFailover.ms * 1.2,
      ),
    ],
  };
}

const KV_TTL_SECONDS = 6;

async function kvRows(log) {
  const etcd = await startEtcd();
  try {
    const options = { ttlSeconds: KV_TTL_SECONDS, seconds: SECONDS, settleMs: 180_000 };
    const groups = {};
    for (const n of [1000, 10000]) {
      const r = await measureKvGroup(etcd.hostPort, n, options);
      groups[n] = r;
      log(
        r.settled
          ? `groups: kv, 3 processes × ${n} elections on etcd: ${r.requestsPerSecond.toFixed(2)} requests/s at rest, ${r.leases} leases, RSS ${r.rss.map(mib).join(' ')}`
          : `groups: kv, 3 processes × ${n} elections: not all led within ${options.settleMs / 1000} s`,
      );
    }
    const theirs = await measureEtcd3(etcd.hostPort, 1000, options);
    log(
      `groups: etcd3 Election, 1 client × 1000 elections: ${theirs.requestsPerSecond.toFixed(1)} requests/s at rest, ${theirs.leases} leases`,
    );
    // Per process: a group's keep-alive every third of the TTL is the one request it must make.
    const keepalive = 3 / KV_TTL_SECONDS;
    const perProcess = (r) => (r.settled ? r.requestsPerSecond / 3 : Number.NaN);
    const beyond = (r) => perProcess(r) - keepalive;
    const big = groups[10000];
    return {
      raw: { groups, etcd3: theirs },
      rows: [
        row(
          'KV groups on etcd at rest, requests/s per process, 1,000 / 10,000 elections',
          perProcess(groups[1000]),
          `${perProcess(groups[1000]).toFixed(2)} / ${perProcess(big).toFixed(2)}`,
        ),
        row(
          'KV 10,000 elections: requests/s per process at rest beyond the keep-alive',
          beyond(big),
          `${beyond(big).toFixed(2)} (${big.leases ?? 'n/a'} leases for 3 processes)`,
          '≤ 1, one lease per process',
          beyond(big) <= 1 && big.leases === 3,
        ),
        row(
          "etcd3's Election, 1,000 elections from one process, requests/s at rest",
          theirs.requestsPerSecond,
          `${theirs.requestsPerSecond.toFixed(1)} (${theirs.leases} leases) vs ${perProcess(groups[1000]).toFixed(2)}`,
        ),
      ],
    };
  } finally {
    await etcd.stop();
  }
}

/** Raft groups against independent elections, then KV groups on etcd against etcd3. */
export async function groupPart(log) {
  log('groups: three processes on 127.0.0.1 per measurement');
  const raft = await raftRows(log);
  const kv = await kvRows(log);
  return {
    settings: {
      defaultTiming: DEFAULT_TIMING,
      scaledTiming: SCALED_TIMING,
      seconds: SECONDS,
      kvTtlSeconds: KV_TTL_SECONDS,
    },
    rows: [...raft.rows, ...kv.rows],
    raw: { raft: raft.raw, kv: kv.raw },
  };
}
