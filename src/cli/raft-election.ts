import { createElection, type Election } from '../runtime/election.js';
import { type BuildHooks, wrapped } from './build-hooks.js';
import { checkDataDir } from './data-dir.js';
import { errorMessage } from './error-message.js';
import { GROUP_FLAGS, RAFT_ONLY_FLAGS } from './node-flags.js';
import type { NodeProtocol } from './node-protocol.js';
import { type RaftNodeConfig, raftNodeConfig } from './raft-args.js';
import { raftGroupNode } from './raft-group-node.js';
import { raftFlagOptions } from './raft-options.js';
import { streamTransport } from './stream-transport.js';
import { UsageError } from './usage-error.js';

/** A Raft member as the command line describes it; nothing runs until it is started. */
export function raftElection(config: RaftNodeConfig, hooks: BuildHooks): Election {
  if (config.dataDir !== undefined) checkDataDir(config.dataDir);
  const transport = wrapped(
    streamTransport(config.transport, config.listen, config.tls, config.auth),
    hooks,
  );
  const { inspect } = hooks;
  try {
    return createElection({
      protocol: config.protocol,
      ...raftFlagOptions(config),
      transport,
      ...(inspect === undefined ? {} : { inspect }),
    });
  } catch (err) {
    // Everything createElection checks comes from the command line.
    throw new UsageError(errorMessage(err));
  }
}

/** `--protocol raft`, as `electorate node` runs it. */
export const raftNode: NodeProtocol<RaftNodeConfig> = {
  flags: { ...RAFT_ONLY_FLAGS, ...GROUP_FLAGS },
  config: raftNodeConfig,
  build: (config, _sink, hooks) => raftElection(config, hooks),
  group: (config) =>
    config.elections === undefined ? undefined : raftGroupNode(config, config.elections),
};
