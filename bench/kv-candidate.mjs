// One candidate in a child process, for the KV crash-failover benchmark:
//   node bench/kv-candidate.mjs electorate|etcd3 HOST:PORT KEY ID TTL_MS
//   node bench/kv-candidate.mjs postgres|advisory POSTGRES_URL KEY ID TTL_MS
// prints {"id","elected","at"} lines, and {"id","renewed","at"} when a renewal (keep-alive)
// leaves (at: wall-clock ms), and runs until killed.
import { Etcd3 } from 'etcd3';
import { createCandidate, etcdStore, postgresStore } from '../dist/src/index.js';
import { wallClock } from './kv-failover.mjs';
import { advisoryCandidate } from './pg-advisory-lock.mjs';

const [kind, hostPort, key, id, ttlText] = process.argv.slice(2);
const ttlMs = Number(ttlText);
const say = (elected) => console.log(JSON.stringify({ id, elected, at: wallClock() }));
const renewing = () => console.log(JSON.stringify({ id, renewed: true, at: wallClock() }));

if (kind === 'electorate' || kind === 'postgres') {
  const store =
    kind === 'postgres' ? postgresStore({ url: hostPort }) : etcdStore({ hosts: hostPort });
  const renew = store.renew.bind(store);
  store.renew = (request) => {
    renewing();
    return renew(request);
  };
  const candidate = createCandidate(store, key, id, { ttl: ttlMs });
  candidate.on('elected', ({ elected }) => say(elected));
  if (process.env.KV_TRACE === '1') {
    candidate.election.on('change', (c) =>
      console.error(JSON.stringify({ id, at: wallClock(), ...c })),
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
    // Its session lease, kept alive every third of the TTL (the keep-alive leaves at once).
    campaign.lease.on('keepaliveFired', renewing);
    campaign.on('error', () => setTimeout(run, 100));
  };
  run();
}
