import type { ShardCell } from '../dashboard/dashboard-source.js';
import type { Election } from '../runtime/election.js';
import type { BuildHooks } from './build-hooks.js';
import type { LogSink } from './change-log.js';
import type { FlagKind, Flags } from './flags.js';
import type { LogFormat } from './node-flags.js';

/**
 * What `electorate node` needs of one protocol, registered by the protocol's own CLI module:
 * the flags only it takes, how it reads them (refusing the flags of the others with a line
 * that says why), and how it builds the election they describe. The command itself never
 * asks which protocol it runs.
 */
export interface NodeProtocol<TConfig> {
  flags: Record<string, FlagKind>;
  config(flags: Flags): TConfig;
  build(config: TConfig, sink: LogSink, hooks: BuildHooks): Election;
  /** Whether a change line names the leader's address and pid (Bully's leaders carry them). */
  leaderDetails?: boolean;
  /** The group of elections the flags ask for (`--elections`, `--shards`), if they ask for one. */
  group?(config: TConfig, sink: LogSink): GroupNode | undefined;
}

/**
 * Many elections of one member, served as one node: `/diag` shows one of them in the
 * fields a single election fills and lists them all in `diagExtras`; `resign` hands over
 * every election it leads; the change log has a line per election.
 */
export interface GroupNode extends Pick<Election, 'start' | 'stop' | 'resign' | 'status' | 'on'> {
  diagExtras(): Record<string, unknown>;
  /** Every election and its leader as this member sees it, for the dashboard's grid. */
  shards(): ShardCell[];
  log(format: LogFormat, sink: LogSink): void;
}
