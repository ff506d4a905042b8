import { hash } from 'node:crypto';
import type { ElectionStrategy } from '../../machines/entropy/definition.js';
import { GoRand } from './go-math-rand.js';
import { varint } from './go-varint.js';

export type { ElectionStrategy };

/** Options of `electLeaders`. */
export interface ElectLeadersOptions {
  /** Defaults to `'rendezvous'`. */
  strategy?: ElectionStrategy;
}

/** The arguments to `electLeaders` cannot produce an election. */
export class ElectionInputError extends TypeError {
  override name = 'ElectionInputError';
}

// Go slices the entropy to seven bytes before decoding it; shorter input panics there.
const CHAINPOINT_ENTROPY_BYTES = 7;
// Up to this many leaders, keeping a short sorted list beats sorting every peer: a full sort
// of 10,000 peers costs about half as much again as hashing them.
const SELECT_UP_TO = 64;

/**
 * Deterministically elects `n` leaders from `peers`: every caller holding the same peer list
 * (in any order for `'rendezvous'`, in the same order for `'chainpoint'`) and the same entropy
 * elects the same leaders, with no messages exchanged.
 *
 * With `'rendezvous'` the result is the top `min(n, peers.length)` peers, best first.
 *
 * With `'chainpoint'` the result is `n` consecutive peers of the list, starting at an index
 * drawn from Go's `math/rand` seeded with the varint in the first seven entropy bytes, and
 * wrapping around the end. When `n` exceeds `peers.length` it returns a single peer, not
 * all of them: that is what the Go library does, and matching it is the strategy's purpose.
 *
 * The inputs are never modified.
 *
 * @throws {ElectionInputError} if `peers` is empty or holds duplicates or non-strings, `n`
 *   is not a positive integer, `entropy` is neither a string nor bytes, `'chainpoint'` gets
 *   fewer than seven entropy bytes, or the strategy is unknown.
 */
export function electLeaders(
  peers: readonly string[],
  n: number,
  entropy: string | Uint8Array,
  options: ElectLeadersOptions = {},
): string[] {
  const strategy = options.strategy ?? 'rendezvous';
  if (strategy !== 'rendezvous' && strategy !== 'chainpoint') {
    const known = "'rendezvous' or 'chainpoint'";
    throw new ElectionInputError(`unknown strategy ${JSON.stringify(strategy)}; expected ${known}`);
  }
  checkPeers(peers);
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new ElectionInputError(`the number of leaders must be a positive integer, got ${n}`);
  }
  const bytes = entropyBytes(entropy);
  if (strategy === 'chainpoint') {
    if (bytes.length < CHAINPOINT_ENTROPY_BYTES) {
      throw new ElectionInputError(
        `the chainpoint strategy needs at least ${CHAINPOINT_ENTROPY_BYTES} bytes of entropy, ` +
          `got ${bytes.length}`,
      );
    }
    return chainpoint(peers, n, bytes);
  }
  return rendezvous(peers, n, bytes);
}

function checkPeers(peers: readonly string[]): void {
  if (!Array.isArray(peers) || peers.length === 0) {
    throw new ElectionInputError('the peer list must be a non-empty array of peer ids');
  }
  const seen = new Set<string>();
  for (const id of peers) {
    if (typeof id !== 'string') {
      throw new ElectionInputError(`peer ids must be strings, got ${typeof id}`);
    }
    if (seen.has(id)) {
      throw new ElectionInputError(`duplicate peer id ${JSON.stringify(id)}`);
    }
    seen.add(id);
  }
}

function entropyBytes(entropy: string | Uint8Array): Uint8Array {
  if (typeof entropy === 'string') return Buffer.from(entropy, 'utf8');
  if (entropy instanceof Uint8Array) return entropy;
  throw new ElectionInputError('entropy must be a string or a Uint8Array');
}

function chainpoint(peers: readonly string[], n: number, entropy: Uint8Array): string[] {
  const rand = new GoRand(varint(entropy.subarray(0, CHAINPOINT_ENTROPY_BYTES)));
  const start = rand.intn(peers.length);
  const count = n <= peers.length ? n : 1;
  const leaders: string[] = [];
  for (let i = 0; i < count; i++) leaders.push(peers[(start + i) % peers.length]!);
  return leaders;
}

function rendezvous(peers: readonly string[], n: number, entropy: Uint8Array): string[] {
  let longest = 0;
  for (const id of peers) if (id.length > longest) longest = id.length;
  const prefixLength = entropy.length + 1;
  // One buffer holds entropy and separator once; each id is written after them in turn. A
  // UTF-16 code unit never takes more than three UTF-8 bytes, so every id fits.
  const message = Buffer.alloc(prefixLength + 3 * longest);
  message.set(entropy);
  const scores = peers.map((id) => {
    const end = prefixLength + message.write(id, prefixLength, 'utf8');
    // A 'binary' (latin1) string keeps one char code per digest byte, so comparing strings
    // compares the digests as big-endian unsigned numbers, with no buffer made per peer.
    return hash('sha256', message.subarray(0, end), 'binary');
  });
  // Best score first. Equal digests take a SHA-256 collision, or ids differing only in unpaired
  // surrogates (all encode as U+FFFD); ordering those by id keeps the result order-independent.
  const rankOrder = (a: number, b: number): number =>
    compare(scores[b]!, scores[a]!) || compare(peers[a]!, peers[b]!);
  const count = Math.min(n, peers.length);
  const ranked =
    count <= SELECT_UP_TO
      ? selectTop(peers.length, count, rankOrder)
      : peers
          .map((_, i) => i)
          .sort(rankOrder)
          .slice(0, count);
  return ranked.map((i) => peers[i]!);
}

/** The first `count` of `0..length-1` under `order`, in order. */
function selectTop(
  length: number,
  count: number,
  order: (a: number, b: number) => number,
): number[] {
  const top: number[] = [];
  for (let i = 0; i < length; i++) {
    if (top.length === count && order(i, top[count - 1]!) >= 0) continue;
    let low = 0;
    let high = top.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (order(top[mid]!, i) < 0) low = mid + 1;
      else high = mid;
    }
    top.splice(low, 0, i);
    if (top.length > count) top.pop();
  }
  return top;
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
