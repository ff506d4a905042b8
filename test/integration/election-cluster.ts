import {
  createElection,
  type Election,
  type ElectionStatus,
  type PeerConfig,
  type RaftElectionOptions,
} from '../../src/index.js';
import {
  type StreamTransportOptions,
  type TransportLogic,
  tcpTransport,
  wsTransport,
} from '../../transports/index.js';
import { freePorts } from './free-port.js';
import { waitFor } from './wait-for.js';

export type StreamKind = 'tcp' | 'ws';

export const STREAM_KINDS: StreamKind[] = ['tcp', 'ws'];

export function streamTransport(kind: StreamKind, options: StreamTransportOptions): TransportLogic {
  return kind === 'tcp' ? tcpTransport(options) : wsTransport(options);
}

/** Members on 127.0.0.1, each on a port that was free a moment ago. */
export async function localPeers(ids: string[]): Promise<PeerConfig[]> {
  const ports = await freePorts(ids.length);
  return ids.map((id, i) => ({ id, address: `127.0.0.1:${ports[i]}` }));
}

export function portOf(peer: PeerConfig): number {
  return Number(peer.address.slice(peer.address.lastIndexOf(':') + 1));
}

export interface NodeExtras {
  transport?: Partial<StreamTransportOptions>;
  election?: Partial<RaftElectionOptions>;
}

/** A raft election for `id`, listening where `peers` says it lives (not yet started). */
export function createNode(
  kind: StreamKind,
  id: string,
  peers: PeerConfig[],
  extras: NodeExtras = {},
): Election {
  const self = peers.find((p) => p.id === id);
  if (self === undefined) throw new Error(`${id} is not among the peers`);
  return createElection({
    protocol: 'raft',
    id,
    peers,
    transport: streamTransport(kind, { listen: self.address, ...extras.transport }),
    ...extras.election,
  });
}

/**
 * The statuses of `nodes` when exactly one of them holds the lease and every one of them
 * names it as leader in the same term; undefined otherwise.
 */
export function agreement(nodes: Election[]): ElectionStatus[] | undefined {
  const statuses = nodes.map((n) => n.status());
  const leaders = statuses.filter((s) => s.isLeader);
  if (leaders.length !== 1) return undefined;
  const { id, term } = leaders[0]!;
  return statuses.every((s) => s.leader === id && s.term === term) ? statuses : undefined;
}

/** Waits for `agreement` and returns the leader with the statuses that showed it. */
export async function agreedLeader(
  nodes: Election[],
  description: string,
  timeoutMs = 5000,
): Promise<{ leader: Election; statuses: ElectionStatus[] }> {
  let statuses: ElectionStatus[] | undefined;
  await waitFor(
    () => {
      statuses = agreement(nodes);
      return statuses !== undefined;
    },
    timeoutMs,
    description,
  );
  const at = statuses!.findIndex((s) => s.isLeader);
  return { leader: nodes[at]!, statuses: statuses! };
}

/**
 * Records, every few milliseconds, which nodes believe they lead. `stop` returns one entry
 * per sample: the ids holding the lease at that moment.
 */
export function sampleLeaders(nodes: Election[], everyMs = 5): { stop(): string[][] } {
  const samples: string[][] = [];
  const take = () => samples.push(nodes.filter((n) => n.isLeader).map((n) => n.status().id));
  take();
  const timer = setInterval(take, everyMs);
  return {
    stop() {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}
