import { storeSettled } from '../../transports/kv/store-actor.js';
import { storeFromUrl } from '../../transports/kv/store-url.js';
import type { ShardCell } from '../dashboard/dashboard-source.js';
import { createElectionGroup } from '../group/election-group.js';
import type { Election, ElectionEvents } from '../runtime/election.js';
import type { KvNodeConfig } from './kv-args.js';

/**
 * `electorate node --protocol kv --elections …`: an election group shown to the node's
 * change log and `/diag` as one election. Role, leader, events and the leader signal are
 * the first election's; `status().group` lists every election; errors are the group's.
 */
export function kvGroupElection(
  config: KvNodeConfig,
  names: string[],
): Election & { shards(): ShardCell[] } {
  const store = storeFromUrl(config.store);
  const group = createElectionGroup({
    protocol: 'kv',
    id: config.id,
    key: config.key,
    store,
    elections: names,
    ttlMs: config.ttlMs,
  });
  const first = group.elections.get(names[0]!)!;
  const all = [...group.elections.values()];
  return {
    start: () => group.start(),
    async stop() {
      await group.stop();
      await storeSettled(store);
      await store.close();
    },
    async resign() {
      await Promise.all(all.map((e) => e.resign()));
    },
    status() {
      const g = group.status();
      return {
        ...first.status(),
        group: {
          lease: g.lease,
          elections: g.elections.map((e) => ({
            name: e.name,
            role: e.role,
            leader: e.leader,
            token: e.fencingToken ?? e.term ?? null,
          })),
        },
      };
    },
    get isLeader() {
      return first.isLeader;
    },
    /** Every election and its leader, for the dashboard's grid. */
    shards() {
      return group.status().elections.map((e) => ({ name: e.name, leader: e.leader }));
    },
    on<K extends keyof ElectionEvents>(type: K, listener: (event: ElectionEvents[K]) => void) {
      if (type === 'error') return group.on('error', listener as (event: Error) => void);
      return first.on(type, listener);
    },
    off<K extends keyof ElectionEvents>(type: K, listener: (event: ElectionEvents[K]) => void) {
      if (type === 'error') group.off('error', listener as (event: Error) => void);
      else first.off(type, listener);
    },
    whileLeader: (work) => first.whileLeader(work),
    get actor() {
      return first.actor;
    },
    get metrics() {
      return first.metrics;
    },
  };
}
