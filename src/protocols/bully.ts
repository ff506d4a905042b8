import { type BullyOptions, bullyProtocol } from '../../machines/bully/definition.js';
import type { TransportLogic } from '../../transports/types.js';
import type { CommonOptions, HostedProtocol, PeerConfig } from './hosted-election.js';

/** Options of `createElection({ protocol: 'bully', ... })`. */
export interface BullyElectionOptions extends CommonOptions, BullyOptions {
  protocol: 'bully';
  /** Members known in advance (TCP, WebSocket, memory); on UDP multicast they are discovered. */
  peers?: PeerConfig[];
  transport: TransportLogic;
}

/** Bully hosted by `createElection`. */
export const bullyHosting: HostedProtocol<
  BullyOptions,
  typeof bullyProtocol.logic,
  BullyElectionOptions
> = {
  ...bullyProtocol,
  hosted: (options) => ({
    peers: options.peers ?? [],
    edge: options.transport,
    self: { address: options.address ?? '' },
    name: 'bully',
  }),
};
