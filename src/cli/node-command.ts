import { accessSync, constants } from 'node:fs';
import { type DiagServer, startDiagServer } from '../diag/diag-server.js';
import { createStoreElection } from '../kv/store-election.js';
import { createElection, type Election } from '../runtime/election.js';
import { makeDirectory } from '../runtime/make-directory.js';
import type { KvNodeConfig, NodeConfig, RaftNodeConfig } from './args.js';
import { type BuildHooks, wrapped } from './build-hooks.js';
import { bullyElection } from './bully-election.js';
import { type LogSink, logElection } from './change-log.js';
import { errorMessage } from './error-message.js';
import { kvGroupElection } from './kv-group-election.js';
import { lesElection } from './les-election.js';
import { openListenerWarning } from './open-listener-warning.js';
import { quote } from './quote.js';
import { readSecretFile } from './secret-file.js';
import { shutdownSignal } from './shutdown-signal.js';
import { streamTransport } from './stream-transport.js';
import { UsageError } from './usage-error.js';

// Stopping sends a handover and closes sockets; anything slower than this is stuck.
const STOP_TIMEOUT_MS = 5000;

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

function raftElection(config: RaftNodeConfig, hooks: BuildHooks): Election {
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

function kvElection(config: KvNodeConfig, sink: LogSink): Election {
  if (config.store === 'memory') {
    sink.err(
      'electorate: --store memory lives in this process alone: a demo, not an election between processes',
    );
  }
  if (config.elections !== undefined) return kvGroupElection(config, config.elections);
  return createStoreElection(config.store, { id: config.id, key: config.key, ttlMs: config.ttlMs });
}

/** The election a node's flags describe; `inspect` watches a Raft node's actors. */
export function buildElection(config: NodeConfig, sink: LogSink, hooks: BuildHooks = {}): Election {
  if (config.protocol === 'les') return lesElection(config, sink, hooks);
  if (config.protocol === 'kv') return kvElection(config, sink);
  return config.protocol === 'raft' ? raftElection(config, hooks) : bullyElection(config, hooks);
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
  const election = buildElection(config, sink);
  const warning = openListenerWarning(config);
  if (warning !== undefined) sink.err(warning);
  logElection(election, config.id, config.log, sink, {
    leaderDetails: config.protocol === 'bully',
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
