import { type DiagServer, startDiagServer } from '../diag/diag-server.js';
import type { Election } from '../runtime/election.js';
import type { NodeConfig } from './args.js';
import type { BuildHooks } from './build-hooks.js';
import { type LogSink, logElection } from './change-log.js';
import { errorMessage } from './error-message.js';
import type { NodeProtocol } from './node-protocol.js';
import { NODE_PROTOCOLS } from './node-protocols.js';
import { openListenerWarning } from './open-listener-warning.js';
import { readSecretFile } from './secret-file.js';
import { shutdownSignal } from './shutdown-signal.js';

// Stopping sends a handover and closes sockets; anything slower than this is stuck.
const STOP_TIMEOUT_MS = 5000;

/** The election a node's flags describe; `inspect` watches a Raft node's actors. */
export function buildElection(config: NodeConfig, sink: LogSink, hooks: BuildHooks = {}): Election {
  // The registry pairs each protocol's config with its own builder.
  const node = NODE_PROTOCOLS[config.protocol] as NodeProtocol<NodeConfig>;
  return node.build(config, sink, hooks);
}

function within<T>(promise: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Runs one member until SIGTERM or SIGINT; resolves with the exit code. */
export async function runNode(config: NodeConfig, sink: LogSink): Promise<number> {
  const token =
    config.httpTokenFile === undefined
      ? undefined
      : readSecretFile(config.httpTokenFile, '--http-token-file');
  const signal = shutdownSignal();
  const node = NODE_PROTOCOLS[config.protocol] as NodeProtocol<NodeConfig>;
  const group = node.group?.(config, sink);
  const election = group ?? buildElection(config, sink);
  const warning = openListenerWarning(config);
  if (warning !== undefined) sink.err(warning);
  if (group !== undefined) group.log(config.log, sink);
  else
    logElection(election, config.id, config.log, sink, {
      leaderDetails: node.leaderDetails === true,
    });
  try {
    await election.start();
  } catch (err) {
    sink.err(`electorate: ${errorMessage(err)}`);
    return 1;
  }
  let diag: DiagServer | undefined;
  if (config.http !== undefined) {
    try {
      diag = await startDiagServer(election, {
        listen: config.http,
        dashboard: true,
        ...(token === undefined ? {} : { token }),
      });
    } catch (err) {
      sink.err(`electorate: ${errorMessage(err)}`);
      await election.stop();
      return 1;
    }
  }
  await signal;
  diag?.markStopping();
  const stopped = await within(election.stop(), STOP_TIMEOUT_MS);
  await diag?.close();
  if (stopped === 'timeout') {
    sink.err(`electorate: ${config.id} did not stop within ${STOP_TIMEOUT_MS} ms`);
    return 1;
  }
  return 0;
}
