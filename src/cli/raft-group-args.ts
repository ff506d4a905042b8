import { checkElectionNames } from '../group/raft/election-names.js';
import { type Flags, listItems, single, wholeNumber } from './flags.js';
import { UsageError } from './usage-error.js';

// Each election costs a machine and its timers; past this a member spends its time on heartbeats.
const MAX_SHARDS = 10_000;

/**
 * The elections `--elections NAME,...` or `--shards N` (named shard-0 on) ask a Raft node to
 * run as one group; undefined for a node of one election.
 */
export function groupElections(flags: Flags): string[] | undefined {
  const shards = single(flags, 'shards');
  if (flags.has('elections')) {
    if (shards !== undefined) throw new UsageError('--elections and --shards cannot both be given');
    const names = listItems(flags, 'elections');
    if (names.length > MAX_SHARDS) {
      throw new UsageError(`--elections may name at most ${MAX_SHARDS} elections`);
    }
    try {
      return [...checkElectionNames(names)];
    } catch (err) {
      throw new UsageError(`--elections: ${(err as Error).message}`);
    }
  }
  if (shards === undefined) return undefined;
  const count = wholeNumber('shards', shards, MAX_SHARDS, '');
  return Array.from({ length: count }, (_, i) => `shard-${i}`);
}
