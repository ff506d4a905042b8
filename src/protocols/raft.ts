import { type RaftOptions, raftProtocol } from '../../machines/raft/definition.js';
import type { TransportLogic } from '../../transports/types.js';
import type { CommonOptions, HostedProtocol, PeerConfig } from './hosted-election.js';

/** Options of `createElection({ protocol: 'raft', ... })`. */
export interface RaftElectionOptions extends CommonOptions, RaftOptions {
  protocol: 'raft';
  /** Every member, this node included or not. */
  peers: PeerConfig[];
  transport: TransportLogic;
  /** Keep term and vote here, fsynced before any vote is sent. */
  dataDir?: string;
}

/** Raft hosted by `createElection`: its peers over a transport, term and vote on disk. */
export const raftHosting: HostedProtocol<
  RaftOptions,
  typeof raftProtocol.logic,
  RaftElectionOptions
> = {
  ...raftProtocol,
  hosted: (options) => ({
    peers: options.peers,
    edge: options.transport,
    self: {
      voter: options.noVote !== true,
      ...(options.tags === undefined ? {} : { tags: options.tags }),
    },
    ...(options.dataDir === undefined ? {} : { dataDir: options.dataDir }),
    name: 'raft',
  }),
};
