import type { RaftNodeConfig } from './args.js';

/** What a Raft node's flags ask of the library, for one election or for each of a group's. */
export function raftFlagOptions(config: RaftNodeConfig) {
  return {
    id: config.id,
    peers: config.peers,
    heartbeatMs: config.heartbeatMs,
    electionTimeoutMs: config.electionTimeoutMs,
    ...(config.leaseMs === undefined ? {} : { leaseMs: config.leaseMs }),
    ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
    noVote: config.noVote,
    tags: config.tags,
  };
}
