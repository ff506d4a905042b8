import { accessSync, constants } from 'node:fs';
import { createElection, type Election } from '../runtime/election.js';
import { makeDirectory } from '../runtime/make-directory.js';
import { type BuildHooks, wrapped } from './build-hooks.js';
import { errorMessage } from './error-message.js';
import { RAFT_ONLY_FLAGS } from './node-flags.js';
import type { NodeProtocol } from './node-protocol.js';
import { quote } from './quote.js';
import { type RaftNodeConfig, raftNodeConfig } from './raft-args.js';
import { streamTransport } from './stream-transport.js';
import { UsageError } from './usage-error.js';

/** Fails now, as a usage error, rather than at the first vote when the directory is unusable. */
function checkDataDir(dir: string): void {
  try {
    makeDirectory(dir);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new UsageError(`--data-dir: cannot use ${quote(dir)} (${code})`);
  }
}

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
      id: config.id,
      peers: config.peers,
      transport,
      heartbeatMs: config.heartbeatMs,
      electionTimeoutMs: config.electionTimeoutMs,
      ...(config.leaseMs === undefined ? {} : { leaseMs: config.leaseMs }),
      ...(config.dataDir === undefined ? {} : { dataDir: config.dataDir }),
      noVote: config.noVote,
      tags: config.tags,
      ...(inspect === undefined ? {} : { inspect }),
    });
  } catch (err) {
    // Everything createElection checks comes from the command line.
    throw new UsageError(errorMessage(err));
  }
}

/** `--protocol raft`, as `electorate node` runs it. */
export const raftNode: NodeProtocol<RaftNodeConfig> = {
  flags: RAFT_ONLY_FLAGS,
  config: raftNodeConfig,
  build: (config, _sink, hooks) => raftElection(config, hooks),
};
