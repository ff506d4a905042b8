import type { ElectionStrategy } from '../entropy/index.js';
import { type FlagKind, type Flags, listItems, oneOf, required, single } from './flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export interface ElectConfig {
  peers: string[];
  leaders: number;
  /** Used as text: its UTF-8 bytes are the entropy, as when a string is passed to electLeaders. */
  entropy: string;
  strategy: ElectionStrategy;
}

export const ELECT_FLAGS: Record<string, FlagKind> = {
  peers: 'repeatable',
  leaders: 'value',
  entropy: 'value',
  strategy: 'value',
};

function leaderCount(text: string): number {
  const n = Number(text);
  if (!/^[0-9]+$/.test(text) || !Number.isSafeInteger(n) || n < 1) {
    throw new UsageError(`--leaders must be a whole number of at least 1, got ${quote(text)}`);
  }
  return n;
}

/**
 * Checks the shape of the arguments; what only the election itself can judge (duplicate
 * peers, too little entropy for chainpoint) is left to it, so the two never disagree.
 */
export function electConfig(flags: Flags): ElectConfig {
  if (!flags.has('peers')) throw new UsageError('missing --peers ID,...');
  const peers = listItems(flags, 'peers');
  const leaders = leaderCount(required(flags, 'leaders', 'N'));
  const entropy = required(flags, 'entropy', 'STR');
  const strategy = oneOf(
    'strategy',
    single(flags, 'strategy') ?? 'rendezvous',
    ['rendezvous', 'chainpoint'] as const,
    new Set(),
    'strategy',
  );
  return { peers, leaders, entropy, strategy };
}
