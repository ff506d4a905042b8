import { type KvOptions, kvProtocol, kvTiming } from '../../machines/kv/definition.js';
import { defaultMemoryStore } from '../../transports/kv/memory-store.js';
import { kvStoreActor } from '../../transports/kv/store-actor.js';
import type { KvStore } from '../../transports/kv/types.js';
import { RequestLatency } from '../metrics/request-latency.js';
import type { CommonOptions, HostedProtocol } from './hosted-election.js';

/** Options of `createElection({ protocol: 'kv', ... })`. */
export interface KvElectionOptions extends CommonOptions, KvOptions {
  protocol: 'kv';
  /** Where the key lives (default: one embedded memory store shared by this process). */
  store?: KvStore;
}

/** Kv hosted by `createElection`. */
export const kvHosting: HostedProtocol<KvOptions, typeof kvProtocol.logic, KvElectionOptions> = {
  ...kvProtocol,
  hosted: (options) => {
    const timing = kvTiming(options);
    const latency = new RequestLatency();
    return {
      // The store is the only peer; the node is a member of a list of one.
      peers: [{ id: options.id, address: '' }],
      edge: kvStoreActor(options.store ?? defaultMemoryStore(), {
        timeoutMs: timing.requestTimeoutMs,
        ttlMs: timing.ttlMs,
        onSettled: latency.record,
      }),
      latency,
      name: options.key,
    };
  },
};
