import { storeSettled } from '../../transports/kv/store-actor.js';
import { storeFromUrl } from '../../transports/kv/store-url.js';
import type { KvStore } from '../../transports/kv/types.js';
import { createElection, type Election, type KvElectionOptions } from '../runtime/election.js';

/**
 * A KV election on a store it opens from a URL and owns: stopping it releases the key,
 * waits for the store to confirm, then closes the client.
 */
export function createStoreElection(
  url: string,
  options: Omit<KvElectionOptions, 'protocol' | 'store'>,
): Election {
  const store: KvStore = storeFromUrl(url, {
    ...(options.requestTimeoutMs === undefined ? {} : { timeoutMs: options.requestTimeoutMs }),
  });
  const election = createElection({ ...options, protocol: 'kv', store });
  const stop = election.stop.bind(election);
  return Object.assign(election, {
    async stop() {
      await stop();
      await storeSettled(store);
      await store.close();
    },
  });
}
