import { type EntropyModelOptions, entropyModelWith } from '../../machines/entropy/model.js';
import type { ProtocolModel } from '../../machines/protocol-model.js';
import { electLeaders } from '../entropy/elect-leaders.js';

export type { EntropyModelOptions };

/** The entropy election's model, electing as shipped; pass `logic` to check a variant of its machine. */
export function entropyModel(options: EntropyModelOptions = {}): ProtocolModel {
  return entropyModelWith(
    (peers, n, entropy) => electLeaders(peers, n, entropy, { strategy: 'rendezvous' }),
    options,
  );
}
