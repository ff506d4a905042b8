import { createHash } from 'node:crypto';
import {
  entropySource,
  faultLink,
  httpTransport,
  memoryStore,
  tcpTransport,
} from '../../transports/index.js';
import type { ClusterRecipe } from '../dashboard/demo-cluster.js';
import { createElection } from '../runtime/election.js';
import type { DemoProtocol } from './demo-args.js';
import { freePorts } from './free-ports.js';

const HOST = '127.0.0.1';
const STREAM_CONTROLS = ['kill', 'restart', 'resign', 'partition', 'heal', 'link'] as const;
/** A new entropy round every this many ms, so the leader visibly rotates. */
const ENTROPY_ROUND_MS = 3000;

const memberIds = (nodes: number): string[] => Array.from({ length: nodes }, (_, i) => `n${i + 1}`);

/** Members n1..nN, each on its own loopback TCP port, as the stream protocols need them. */
async function tcpMembers(nodes: number) {
  const ids = memberIds(nodes);
  const ports = await freePorts(nodes, HOST);
  const peers = ids.map((id, i) => ({ id, address: `${HOST}:${ports[i]}` }));
  const shape = {
    network: `TCP on ${HOST}`,
    ids,
    addresses: peers.map((p) => p.address),
    controls: STREAM_CONTROLS,
  };
  return { peers, shape };
}

async function raftRecipe(nodes: number): Promise<ClusterRecipe> {
  const { peers, shape } = await tcpMembers(nodes);
  return {
    protocol: 'raft',
    ...shape,
    createNode: ({ index, faults, inspect }) =>
      createElection({
        protocol: 'raft',
        id: peers[index]!.id,
        peers,
        transport: faultLink(tcpTransport({ listen: peers[index]!.address }), faults),
        inspect,
      }),
  };
}

async function bullyRecipe(nodes: number): Promise<ClusterRecipe> {
  const { peers, shape } = await tcpMembers(nodes);
  return {
    protocol: 'bully',
    ...shape,
    createNode: ({ index, faults, inspect }) =>
      createElection({
        protocol: 'bully',
        id: peers[index]!.id,
        // The highest-numbered live member leads.
        pid: index + 1,
        address: peers[index]!.address,
        peers,
        transport: faultLink(tcpTransport({ listen: peers[index]!.address }), faults),
        inspect,
      }),
  };
}

/**
 * Leader Election by Seniority over HTTP: members are known by their address, every one a
 * seed; the longest-running member leads, so a restarted one comes back junior.
 */
async function lesRecipe(nodes: number): Promise<ClusterRecipe> {
  const ports = await freePorts(nodes, HOST);
  const ids = ports.map((port) => `${HOST}:${port}`);
  return {
    protocol: 'les',
    network: `HTTP on ${HOST}`,
    ids,
    addresses: ids,
    controls: STREAM_CONTROLS,
    createNode: ({ id, faults, inspect }) =>
      createElection({
        protocol: 'les',
        id,
        seeds: ids,
        loopMs: 500,
        transport: faultLink(httpTransport({ listen: id }), faults),
        inspect,
      }),
  };
}

/**
 * KV-lease election on one embedded memory store: whoever holds the key leads. The store is
 * the only party the members talk to, so the link controls do not apply.
 */
function kvRecipe(nodes: number): ClusterRecipe {
  const ids = memberIds(nodes);
  const store = memoryStore();
  return {
    protocol: 'kv',
    network: 'an embedded memory store',
    ids,
    addresses: ids.map(() => ''),
    controls: ['kill', 'restart', 'resign'],
    createNode: ({ id, inspect }) =>
      createElection({ protocol: 'kv', id, key: 'demo/leader', ttlMs: 2000, store, inspect }),
  };
}

/** A beacon every member reads alike: the round from the clock, its value a hash of it. */
function demoBeacon(began: number) {
  return () => {
    const round = Math.floor((Date.now() - began) / ENTROPY_ROUND_MS) + 1;
    return { round, value: createHash('sha256').update(`electorate demo ${round}`).digest('hex') };
  };
}

function entropyRecipe(nodes: number): ClusterRecipe {
  const ids = memberIds(nodes);
  const read = demoBeacon(Date.now());
  return {
    protocol: 'entropy',
    network: 'a shared beacon (no messages between members)',
    ids,
    addresses: ids.map(() => ''),
    controls: ['kill', 'restart', 'partition', 'heal'],
    createNode: ({ id, faults, inspect }) =>
      createElection({
        protocol: 'entropy',
        id,
        peers: ids,
        source: faultLink(entropySource(read, { intervalMs: 250 }), faults),
        inspect,
      }),
  };
}

/** The cluster recipe for a protocol: adding a protocol to the demo is one more case here. */
export async function clusterRecipe(protocol: DemoProtocol, nodes: number): Promise<ClusterRecipe> {
  switch (protocol) {
    case 'raft':
      return raftRecipe(nodes);
    case 'bully':
      return bullyRecipe(nodes);
    case 'les':
      return lesRecipe(nodes);
    case 'kv':
      return kvRecipe(nodes);
    case 'entropy':
      return entropyRecipe(nodes);
  }
}
