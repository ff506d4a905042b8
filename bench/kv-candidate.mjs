// One candidate in a child process, for the KV crash-failover benchmark:
//   node bench/kv-candidate.mjs electorate|etcd3 HOST:PORT KEY ID TTL_MS
// prints {"id","elected","at"} lines (at: Date.now()) and runs until killed.
import { Etcd3 } from 'etcd3';
import { createCandidate, etcdStore } from '../dist/src/index.js';

const [kind, hostPort, key, id, ttlText] = process.argv.slice(2);
const ttlMs = Number(ttlText);
const say = (elected) => console.log(JSON.stringify({ id, elected, at: Date.now() }));

if (kind === 'electorate') {
  const candidate = createCandidate(etcdStore({ hosts: hostPort }), key, id, { ttl: ttlMs });
  candidate.on('elected', ({ elected }) => say(elected));
  if (process.env.KV_TRACE === '1') {
    candidate.election.on('change', (c) =>
      console.error(JSON.stringify({ id, at: Date.now(), ...c })),
    );
  }
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
