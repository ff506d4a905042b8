import { type EntropyOptions, entropyProtocol } from '../../machines/entropy/definition.js';
import { electLeaders } from '../entropy/elect-leaders.js';

/** The entropy election as shipped: leaders by `electLeaders` under the chosen strategy. */
const shippedEntropy = entropyProtocol(
  (strategy) => (peers, n, entropy) => electLeaders(peers, n, entropy, { strategy }),
);

import type { TransportLogic } from '../../transports/types.js';
import type { CommonOptions, HostedProtocol } from './hosted-election.js';

/** Options of `createElection({ protocol: 'entropy', ... })`. */
export interface EntropyElectionOptions extends CommonOptions, EntropyOptions {
  protocol: 'entropy';
  /** The peer list in force from round 0 (ids; no addresses: nobody talks to anyone). */
  peers: (string | { id: string })[];
  /** Where entropy (and later peer lists) come from: `entropySource` or `httpEntropySource`. */
  source: TransportLogic;
}

/** Entropy hosted by `createElection`. */
export const entropyHosting: HostedProtocol<
  EntropyOptions,
  typeof shippedEntropy.logic,
  EntropyElectionOptions
> = {
  ...shippedEntropy,
  hosted: (options) => ({
    peers: options.peers.map((p) => ({ id: typeof p === 'string' ? p : p.id, address: '' })),
    edge: options.source,
    name: 'entropy',
  }),
};
