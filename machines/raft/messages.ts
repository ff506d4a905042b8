/**
 * The Raft-style election's wire messages. Every message carries the sender's term; `tags`
 * rides along when the sender has any, so members learn each other's tags without a
 * separate exchange.
 */
import { isWireCounter, MAX_WIRE_COUNTER } from '../wire-bounds.js';

/** The highest term a node accepts or reaches; see MAX_WIRE_COUNTER. */
export const MAX_TERM = MAX_WIRE_COUNTER;

/** Labels a member carries and other members see (a zone, say). */
export type Tags = Record<string, string>;

/** What every Raft message carries. */
export interface RaftMessageBase {
  term: number;
  tags?: Tags;
}

/** A Raft message between members; every one carries the sender's term. */
export type RaftMessage =
  | (RaftMessageBase & { type: 'preVote' })
  | (RaftMessageBase & { type: 'preVoteResponse'; granted: boolean })
  | (RaftMessageBase & { type: 'vote'; transfer: boolean })
  | (RaftMessageBase & { type: 'voteResponse'; granted: boolean })
  | (RaftMessageBase & { type: 'heartbeat'; round: number })
  | (RaftMessageBase & { type: 'heartbeatResponse'; round: number })
  | (RaftMessageBase & { type: 'timeoutNow' });

export type RaftMessageType = RaftMessage['type'];

const isCount = isWireCounter;

const MAX_TAGS = 64;
const MAX_TAG_CHARS = 256;

function isTags(v: unknown): v is Tags {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const entries = Object.entries(v);
  if (entries.length > MAX_TAGS) return false;
  return entries.every(
    ([k, val]) =>
      k.length <= MAX_TAG_CHARS && typeof val === 'string' && val.length <= MAX_TAG_CHARS,
  );
}

/**
 * Validates an inbound payload against the schema; returns the typed message or undefined.
 * Unknown extra fields are ignored but not copied, so nothing unvalidated reaches a machine.
 */
export function decodeRaftMessage(raw: unknown): RaftMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (!isCount(m.term)) return undefined;
  if (m.tags !== undefined && !isTags(m.tags)) return undefined;
  const base: RaftMessageBase =
    m.tags === undefined ? { term: m.term } : { term: m.term, tags: m.tags };
  switch (m.type) {
    case 'preVote':
    case 'timeoutNow':
      return { ...base, type: m.type };
    case 'preVoteResponse':
    case 'voteResponse':
      return typeof m.granted === 'boolean'
        ? { ...base, type: m.type, granted: m.granted }
        : undefined;
    case 'vote':
      return typeof m.transfer === 'boolean'
        ? { ...base, type: 'vote', transfer: m.transfer }
        : undefined;
    case 'heartbeat':
    case 'heartbeatResponse':
      return isCount(m.round) ? { ...base, type: m.type, round: m.round } : undefined;
    default:
      return undefined;
  }
}
