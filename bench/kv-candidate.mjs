// One candidate in a child process, for the KV crash-failover benchmark:
//   node bench/kv-candidate.mjs electorate|etcd3 HOST:PORT KEY ID TTL_MS
//   node bench/kv-candidate.mjs postgres|advisory POSTGRES_URL KEY ID TTL_MS
// prints {"id","elected","at"} lines (at: Date.now()) and runs until killed.
import { Etcd3 } from 'etcd3';
import { createCandidate, etcdStore, postgresStore } from '../dist/src/index.js';
import { advisoryCandidate } from './pg-advisory-lock.mjs';

const [kind, hostPort, key, id, ttlText] = process.argv.slice(2);
const ttlMs = Number(ttlText);
const say = (elected) => console.log(JSON.stringify({ id, elected, at: Date.now() }));

if (kind === 'electorate' || kind === 'postgres') {
  const store =
    kind === 'postgres' ? postgresStore({ url: hostPort }) : etcdStore({ hosts: hostPort });
  const candidate = createCandidate(store, key, id, { ttl: ttlMs });
  candidate.on('elected', ({ elected }) => say(elected));
  if (process.env.KV_TRACE === '1') {
    candidate.election.on('change', (c) =>
      console.error(JSON.stringify({ id, at: Date.now(), ...c })),
    );
  }
} else if (kind === 'advisory') {
  advisoryCandidate(hostPort, key, (elected) => say(elected));
} else {
  const client = new Etcd3({ hosts: `http://${hostPort}` });
  const election = client.election(key, Math.ceil(ttlMs / 1000));
  // The library's documented pattern: campaign again after an error.
  const run = () => {
    const campaign = election.campaign(id);
    campaign.on('elected', () => say(true));
    campaign.on('error', () => setTimeout(run, 100));
  };
  run();
}
