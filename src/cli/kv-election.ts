import { createStoreElection } from '../kv/store-election.js';
import type { Election } from '../runtime/election.js';
import type { LogSink } from './change-log.js';
import { type KvNodeConfig, kvNodeConfig } from './kv-args.js';
import { kvGroupElection } from './kv-group-election.js';
import { GROUP_FLAGS, KV_ONLY_FLAGS } from './node-flags.js';
import type { NodeProtocol } from './node-protocol.js';

/** A KV candidate as the command line describes it; nothing runs until it is started. */
export function kvElection(config: KvNodeConfig, sink: LogSink): Election {
  if (config.store === 'memory') {
    sink.err(
      'electorate: --store memory lives in this process alone: a demo, not an election between processes',
    );
  }
  if (config.elections !== undefined) return kvGroupElection(config, config.elections);
  return createStoreElection(config.store, { id: config.id, key: config.key, ttlMs: config.ttlMs });
}

/** `--protocol kv`, as `electorate node` runs it. */
export const kvNode: NodeProtocol<KvNodeConfig> = {
  flags: { ...KV_ONLY_FLAGS, ...GROUP_FLAGS },
  config: kvNodeConfig,
  build: (config, sink) => kvElection(config, sink),
};
