// The long fault runs: every protocol and store, all nemeses, for CHAOS_SECONDS each
// (default 1800). Prints each run's summary; exits 1 if any run found a violation.
import { spawnSync } from 'node:child_process';

const seconds = process.env.CHAOS_SECONDS ?? '1800';
const seed = process.env.CHAOS_SEED ?? String(Date.now() % 2 ** 31);
const runs = [
  ['raft'],
  ['bully'],
  ['les'],
  ['kv', 'etcd'],
  ['kv', 'etcd-cluster'],
  ['kv', 'zookeeper'],
  ['kv', 'zookeeper-ensemble'],
  ['kv', 'redis'],
  ['kv', 'postgres'],
];
let failed = 0;
for (const [protocol, store] of runs) {
  const name = store === undefined ? protocol : `${protocol}-${store}`;
  const args = ['bin/electorate.js', 'chaos', '--protocol', protocol, '--seconds', seconds];
  args.push('--seed', seed, '--out', `chaos-long/${name}`);
  if (store !== undefined) args.push('--store', store);
  const { status } = spawnSync(process.execPath, args, { stdio: 'inherit' });
  if (status !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
