import { isElectionName, MAX_GROUP_ELECTIONS } from '../group/group-options.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

/** `--elections a,b,c` or `--shards N` (shard-0 … shard-N-1): the names of a group, if any. */
export function groupNames(
  elections: string | undefined,
  shards: string | undefined,
): string[] | undefined {
  if (elections !== undefined && shards !== undefined) {
    throw new UsageError('--elections and --shards cannot be given together');
  }
  if (shards !== undefined) {
    const n = /^[0-9]+$/.test(shards) ? Number(shards) : Number.NaN;
    if (!(n >= 1 && n <= MAX_GROUP_ELECTIONS)) {
      throw new UsageError(
        `--shards must be a whole number from 1 to ${MAX_GROUP_ELECTIONS}, got ${quote(shards)}`,
      );
    }
    return Array.from({ length: n }, (_, i) => `shard-${i}`);
  }
  if (elections === undefined) return undefined;
  const names = elections.split(',');
  const seen = new Set<string>();
  for (const name of names) {
    if (!isElectionName(name)) {
      throw new UsageError(
        `--elections takes names of letters, digits, _, - and . separated by commas, got ${quote(name)}`,
      );
    }
    if (seen.has(name)) throw new UsageError(`--elections names ${quote(name)} twice`);
    seen.add(name);
  }
  if (names.length > MAX_GROUP_ELECTIONS) {
    throw new UsageError(`--elections takes at most ${MAX_GROUP_ELECTIONS} names`);
  }
  return names;
}
