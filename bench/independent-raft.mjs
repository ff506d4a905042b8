// One process holding `count` independent Raft elections, each with its own TCP listener and
// connections, as an app without groups would run them; serves their leaders at GET / in the
// shape of a group's /diag, so the benchmark reads both alike.
//   node bench/independent-raft.mjs '{"id":"n1","count":100,"ports":{"n1":[...],...},"http":PORT,"timing":{...}}'
import http from 'node:http';
import { createElection } from '../dist/src/index.js';
import { tcpTransport } from '../dist/transports/index.js';

const { id, count, ports, http: httpPort, timing } = JSON.parse(process.argv[2]);
const ids = Object.keys(ports);
const elections = [];
for (let k = 0; k < count; k++) {
  const peers = ids.map((m) => ({ id: m, address: `127.0.0.1:${ports[m][k]}` }));
  elections.push(
    createElection({
      protocol: 'raft',
      id,
      peers,
      transport: tcpTransport({ listen: `127.0.0.1:${ports[id][k]}` }),
      heartbeatMs: timing.heartbeatMs,
      electionTimeoutMs: timing.electionTimeoutMs,
    }),
  );
}
await Promise.all(elections.map((e) => e.start()));
http
  .createServer((_req, res) => {
    const listed = elections.map((e, k) => {
      const s = e.status();
      return { name: `shard-${k}`, leader: s.leader, term: s.term, isLeader: e.isLeader };
    });
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ id, elections: listed }));
  })
  .listen(httpPort, '127.0.0.1');
