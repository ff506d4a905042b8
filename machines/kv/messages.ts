/**
 * What the KV-lease machine says to its store and hears back. The store is the machine's
 * only peer (id `STORE`): requests leave as `send` events, answers and watch events come
 * back as `receive` events. Every request carries a `round`, and every answer names the
 * round it answers, so an answer that arrives after the machine gave up on it is ignored.
 *
 * A request whose answer never came may still have been applied: `inspect` reads the key
 * back with its holder's handle, so the machine can adopt a lease it won without hearing of
 * it, or release it.
 */

import { isWireCounter } from '../wire-bounds.js';

/** The peer id of the store, the KV-lease machine's only peer. */
export const STORE = 'store';

/** Who holds the key: the holder's value (its id) and its fencing token. */
export interface KvHolderInfo {
  value: string;
  token: number;
}

/** A request the KV-lease machine sends its store. */
export type KvRequest =
  | {
      type: 'acquire';
      round: number;
      key: string;
      value: string;
      ttlMs: number;
      owner: string | null;
    }
  | { type: 'renew'; round: number; key: string; owner: string; ttlMs: number }
  | { type: 'release'; round: number; key: string; owner: string }
  /** Reads the key back with its holder's handle (after an acquire whose answer was lost). */
  | { type: 'inspect'; round: number; key: string }
  | {
      type: 'watch';
      round: number;
      key: string;
      owner: string | null;
      /** Read the key this often too, to notice a store that stopped answering. */
      checkMs?: number;
    }
  | { type: 'unwatch'; round: number };

export type KvOperation = KvRequest['type'];

/** An answer or watch event the store sends back to the KV-lease machine. */
export type KvReply =
  /** The store is reachable: the machine waits for this before its first request. */
  | { type: 'connected'; round: number }
  | { type: 'acquired'; round: number; owner: string; token: number }
  | { type: 'taken'; round: number; holder: KvHolderInfo | null; owner: string | null }
  | { type: 'renewed'; round: number }
  /** The lease or key was gone when the renewal reached the store. */
  | { type: 'lost'; round: number }
  | { type: 'released'; round: number }
  /** The key read back: its holder and the holder's handle (both null when free or unknown). */
  | { type: 'found'; round: number; holder: KvHolderInfo | null; owner: string | null }
  /** A watch event: the key's holder now (null when free). */
  | { type: 'holder'; round: number; holder: KvHolderInfo | null }
  | { type: 'failed'; round: number; op: KvOperation; message: string };

const OPS: ReadonlySet<string> = new Set([
  'acquire',
  'renew',
  'release',
  'inspect',
  'watch',
  'unwatch',
]);
const MAX_TEXT = 4096;

const isRound = isWireCounter;
const isToken = isRound;
const isText = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length <= MAX_TEXT;

function holder(raw: unknown): KvHolderInfo | null | undefined {
  if (raw === null) return null;
  if (typeof raw !== 'object' || raw === undefined) return undefined;
  const h = raw as Record<string, unknown>;
  if (typeof h.value !== 'string' || h.value.length > MAX_TEXT || !isToken(h.token)) {
    return undefined;
  }
  return { value: h.value, token: h.token };
}

/** Validates what a store actor hands the machine; anything else is dropped as invalid. */
export function decodeKvReply(raw: unknown): KvReply | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (!isRound(m.round)) return undefined;
  const round = m.round;
  switch (m.type) {
    case 'acquired':
      return isText(m.owner) && isToken(m.token)
        ? { type: 'acquired', round, owner: m.owner, token: m.token }
        : undefined;
    case 'taken': {
      const h = holder(m.holder);
      if (h === undefined || !(m.owner === null || isText(m.owner))) return undefined;
      return { type: 'taken', round, holder: h, owner: m.owner };
    }
    case 'found': {
      const h = holder(m.holder);
      if (h === undefined || !(m.owner === null || isText(m.owner))) return undefined;
      // A handle with nobody holding the key would be a handle to nothing.
      if (h === null && m.owner !== null) return undefined;
      return { type: 'found', round, holder: h, owner: m.owner };
    }
    case 'connected':
    case 'renewed':
    case 'lost':
    case 'released':
      return { type: m.type, round };
    case 'holder': {
      const h = holder(m.holder);
      return h === undefined ? undefined : { type: 'holder', round, holder: h };
    }
    case 'failed':
      return typeof m.op === 'string' && OPS.has(m.op) && typeof m.message === 'string'
        ? {
            type: 'failed',
            round,
            op: m.op as KvOperation,
            message: m.message.slice(0, MAX_TEXT),
          }
        : undefined;
    default:
      return undefined;
  }
}
