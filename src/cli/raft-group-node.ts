import type { DropReason } from '../../transports/types.js';
import type { ShardCell } from '../dashboard/dashboard-source.js';
import { createRaftGroup } from '../group/raft/raft-group.js';
import type { RaftGroup } from '../group/raft/raft-group-types.js';
import type { ElectionEvents, ElectionStatus } from '../runtime/election.js';
import type { LogFormat, RaftNodeConfig } from './args.js';
import { formatError, type LogSink, logElection } from './change-log.js';
import { checkDataDir } from './data-dir.js';
import { errorMessage } from './error-message.js';
import type { GroupNode } from './node-protocol.js';
import { raftFlagOptions } from './raft-options.js';
import { streamTransport } from './stream-transport.js';
import { UsageError } from './usage-error.js';

/**
 * A group of Raft elections as `electorate node` runs and serves it. `/diag` keeps the fields
 * of a single election's, read from one election: the first this member leads, or else the
 * first named (so `POST /resign` works whenever it leads any, and hands all of them over);
 * `elections` then lists every election, and `link` what the shared connections carried.
 */
export class RaftGroupNode implements GroupNode {
  constructor(readonly group: RaftGroup) {}

  start(): Promise<void> {
    return this.group.start();
  }

  stop(): Promise<void> {
    return this.group.stop();
  }

  resign(): Promise<void> {
    return this.group.resign();
  }

  status(): ElectionStatus {
    const group = this.group.status();
    const shown = group.elections.find((e) => e.isLeader) ?? group.elections[0]!;
    const statuses = this.group.names.map((name) => this.group.election(name).status());
    const one = this.group.election(shown.name).status();
    return {
      ...one,
      // The shared link's drops, where an election's own are counted too.
      dropped: group.dropped as Partial<Record<DropReason, number>>,
      messages: {
        sent: statuses.reduce((n, s) => n + s.messages.sent, 0),
        received: statuses.reduce((n, s) => n + s.messages.received, 0),
      },
      elections: statuses.reduce((n, s) => n + s.elections, 0),
      errors: group.errors,
    };
  }

  /** What `/diag` adds for a group: every election, and the shared link's traffic. */
  diagExtras(): Record<string, unknown> {
    const { elections, ticks, peers } = this.group.status();
    return { elections, link: { ticks, peers } };
  }

  shards(): ShardCell[] {
    return this.group.status().elections.map(({ name, leader }) => ({ name, leader }));
  }

  /** Every election's events, as the dashboard reads a single election's. */
  on<K extends keyof ElectionEvents>(
    type: K,
    listener: (event: ElectionEvents[K]) => void,
  ): () => void {
    if (type === 'error') {
      return this.group.on('error', ({ error }) => (listener as (e: Error) => void)(error));
    }
    return this.group.on(type as 'change', listener as never);
  }

  /** One line per change of an election, under `ID/ELECTION`; errors always, to `sink.err`. */
  log(format: LogFormat, sink: LogSink): void {
    const { id } = this.group.status();
    for (const name of this.group.names) {
      logElection(this.group.election(name), `${id}/${name}`, format, sink);
    }
    // What the elections share fails under the member's own id.
    this.group.on('error', ({ election, error }) => {
      if (election === undefined) {
        sink.err(formatError(format === 'none' ? 'text' : format, new Date(), id, error));
      }
    });
  }
}

/** The group `--elections` or `--shards` asks for, over the node's one transport. */
export function raftGroupNode(config: RaftNodeConfig, elections: string[]): RaftGroupNode {
  if (config.dataDir !== undefined) checkDataDir(config.dataDir);
  const transport = streamTransport(config.transport, config.listen, config.tls, config.auth);
  try {
    return new RaftGroupNode(
      createRaftGroup({
        ...raftFlagOptions(config),
        transport,
        elections,
        ...(config.spread === true ? { spread: true } : {}),
      }),
    );
  } catch (err) {
    // Everything createRaftGroup checks comes from the command line.
    throw new UsageError(errorMessage(err));
  }
}
