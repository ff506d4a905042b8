import type { TransportLogic } from '../../transports/index.js';
import type { RaftElectionOptions } from '../runtime/election.js';

/** What a host of the election (the fault runs' workers) may add to what the flags say. */
export interface BuildHooks {
  /** Watches a Raft node's actors. */
  inspect?: RaftElectionOptions['inspect'];
  /** Wraps the peer transport (a KV election has none: its store is its network). */
  wrapTransport?: (transport: TransportLogic) => TransportLogic;
}

export function wrapped(transport: TransportLogic, hooks: BuildHooks): TransportLogic {
  return hooks.wrapTransport === undefined ? transport : hooks.wrapTransport(transport);
}
