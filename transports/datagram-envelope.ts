import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { DropReason } from './types.js';

/**
 * Electorate's own datagram format: one JSON object per datagram,
 * `{ v, cluster, from, to?, ts, nonce, msg, mac? }`. A datagram has no connection behind
 * it, so everything a stream transport learns from its handshake (who is talking, for which
 * cluster) travels in every datagram, and with a shared secret the HMAC, timestamp and
 * nonce stand in for the authenticated session that a datagram cannot have. The group hears
 * every datagram, so one meant for a single member names it in `to`: the others ignore it.
 */
export const DATAGRAM_ENVELOPE_VERSION = 1;

/** How many (sender, nonce) pairs are remembered for replay detection by default. */
export const DEFAULT_REPLAY_MEMORY = 65_536;

export interface SealOptions {
  cluster: string;
  from: string;
  /** The one member this datagram is for; every member of the group when omitted. */
  to?: string | undefined;
  /** Signs the datagram (HMAC-SHA256) when set. */
  secret?: Buffer | undefined;
  /** Milliseconds since the epoch; `Date.now()` unless given. */
  ts?: number;
  /** 16 lowercase hex characters; random unless given. */
  nonce?: string;
}

export type DatagramDropReason = Extract<
  DropReason,
  'malformed' | 'unauthenticated' | 'unknown-peer'
>;

export type OpenedDatagram =
  | { ok: true; from: string; to: string | undefined; msg: unknown }
  | { ok: false; reason: DatagramDropReason; from?: string };

export interface DatagramOpenerOptions {
  /** Datagrams for any other cluster are dropped as `unknown-peer`. */
  cluster: string;
  /** When set, only datagrams signed with it, fresh and never seen before are accepted. */
  secret?: Buffer | undefined;
  /** How far a signed datagram's timestamp may be from our clock, either way. */
  maxAgeMs: number;
  /** Most (sender, nonce) pairs remembered; default `DEFAULT_REPLAY_MEMORY`. */
  replayMemory?: number;
  /**
   * When this receiver started (ms since the epoch; `Date.now()` at construction unless
   * given). Nothing signed before it is accepted: a restarted node remembers no nonces, so
   * without this floor every datagram captured in the last `maxAgeMs` could be replayed to it.
   */
  bootedAt?: number;
}

interface Envelope {
  cluster: string;
  from: string;
  to: string | undefined;
  ts: number;
  nonce: string;
  msg: unknown;
  mac: string | undefined;
}

// fatal: bytes that are not UTF-8 are malformed, not silently repaired into something else.
const utf8 = new TextDecoder('utf-8', { fatal: true });
const NONCE = /^[0-9a-f]{16}$/;
const MAC = /^[0-9a-f]{64}$/;
const FIELDS = new Set(['v', 'cluster', 'from', 'to', 'ts', 'nonce', 'msg', 'mac']);

/**
 * The bytes the MAC covers. A JSON array fixes the field order, so the receiver can rebuild
 * them from the parsed values whatever order or spacing the sender's object used. An
 * addressee comes last, so a datagram for everyone signs exactly what it always did, and one
 * whose `to` was stripped or changed on the way no longer matches its MAC.
 */
function canonicalText(
  cluster: string,
  from: string,
  to: string | undefined,
  ts: number,
  nonce: string,
  msgText: string,
): string {
  const addressee = to === undefined ? '' : `,${JSON.stringify(to)}`;
  return `[${DATAGRAM_ENVELOPE_VERSION},${JSON.stringify(cluster)},${JSON.stringify(from)},${ts},${JSON.stringify(nonce)},${msgText}${addressee}]`;
}

function mac(secret: Buffer, canonical: string): Buffer {
  return createHmac('sha256', secret).update(canonical, 'utf8').digest();
}

/**
 * Serialises `msg` into a datagram, or returns undefined when it cannot be (cycles, BigInt,
 * `undefined`), so the sender can drop it instead of throwing at the send site.
 */
export function sealDatagram(msg: unknown, options: SealOptions): Buffer | undefined {
  let msgText: string | undefined;
  try {
    // Serialised once and spliced into both texts, so what is signed is what is sent.
    msgText = JSON.stringify(msg);
  } catch {
    return undefined;
  }
  if (msgText === undefined) return undefined;
  const { cluster, from, to, secret } = options;
  const ts = options.ts ?? Date.now();
  const nonce = options.nonce ?? randomBytes(8).toString('hex');
  const addressee = to === undefined ? '' : `"to":${JSON.stringify(to)},`;
  const head = `{"v":${DATAGRAM_ENVELOPE_VERSION},"cluster":${JSON.stringify(cluster)},"from":${JSON.stringify(from)},${addressee}"ts":${ts},"nonce":${JSON.stringify(nonce)},"msg":${msgText}`;
  if (secret === undefined) return Buffer.from(`${head}}`, 'utf8');
  const tag = mac(secret, canonicalText(cluster, from, to, ts, nonce, msgText)).toString('hex');
  return Buffer.from(`${head},"mac":"${tag}"}`, 'utf8');
}

function parseEnvelope(datagram: Uint8Array): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(datagram));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const e = value as Record<string, unknown>;
  // Fields outside the MAC would ride along unauthenticated, so version 1 has none.
  if (Object.keys(e).some((key) => !FIELDS.has(key))) return undefined;
  if (e.v !== DATAGRAM_ENVELOPE_VERSION) return undefined;
  if (typeof e.cluster !== 'string') return undefined;
  if (typeof e.from !== 'string' || e.from.length === 0) return undefined;
  if (e.to !== undefined && (typeof e.to !== 'string' || e.to.length === 0)) return undefined;
  if (typeof e.ts !== 'number' || !Number.isSafeInteger(e.ts) || e.ts < 0) return undefined;
  if (typeof e.nonce !== 'string' || !NONCE.test(e.nonce)) return undefined;
  if (!('msg' in e)) return undefined;
  if (e.mac !== undefined && (typeof e.mac !== 'string' || !MAC.test(e.mac))) return undefined;
  return {
    cluster: e.cluster,
    from: e.from,
    to: e.to as string | undefined,
    ts: e.ts,
    nonce: e.nonce,
    msg: e.msg,
    mac: e.mac as string | undefined,
  };
}

/**
 * Remembers which (sender, nonce) pairs were accepted. Forgetting a pair raises a floor
 * below which every timestamp is refused, so nothing forgotten can be replayed: expired
 * pairs are below the floor the age check enforces anyway, and pairs pushed out early by a
 * flood cost the flooded window its older datagrams rather than its replay protection.
 */
class ReplayMemory {
  private readonly seen = new Map<string, number>();
  private floor: number;

  /** `bootedAt` starts the floor: what was signed before this memory existed is refused. */
  constructor(
    private readonly maxAgeMs: number,
    private readonly capacity: number,
    bootedAt: number,
  ) {
    this.floor = bootedAt;
  }

  /** Records the pair; false when it was already seen or may have been forgotten. */
  admit(from: string, nonce: string, ts: number, now: number): boolean {
    this.expire(now);
    if (ts <= this.floor) return false;
    // The nonce has a fixed length, so this key cannot collide across senders.
    const key = nonce + from;
    if (this.seen.has(key)) return false;
    this.seen.set(key, ts);
    if (this.seen.size > this.capacity) {
      const [oldest, oldestTs] = this.seen.entries().next().value as [string, number];
      this.seen.delete(oldest);
      this.floor = Math.max(this.floor, oldestTs);
    }
    return true;
  }

  /** Insertion order is arrival order, close enough to timestamp order to stop early. */
  private expire(now: number): void {
    for (const [key, ts] of this.seen) {
      if (now - ts <= this.maxAgeMs) return;
      this.seen.delete(key);
      this.floor = Math.max(this.floor, ts);
    }
  }
}

/** Checks inbound datagrams for one receiver; stateful, since it remembers nonces. */
export class DatagramOpener {
  private readonly replays: ReplayMemory | undefined;

  constructor(private readonly options: DatagramOpenerOptions) {
    this.replays =
      options.secret === undefined
        ? undefined
        : new ReplayMemory(
            options.maxAgeMs,
            options.replayMemory ?? DEFAULT_REPLAY_MEMORY,
            options.bootedAt ?? Date.now(),
          );
  }

  /** Never throws: anything that is not a valid datagram for us comes back as a drop. */
  open(datagram: Uint8Array, now: number = Date.now()): OpenedDatagram {
    try {
      return this.check(datagram, now);
    } catch {
      // JSON.stringify of a hostile, deeply nested msg can overflow the stack.
      return { ok: false, reason: 'malformed' };
    }
  }

  private check(datagram: Uint8Array, now: number): OpenedDatagram {
    const envelope = parseEnvelope(datagram);
    if (envelope === undefined) return { ok: false, reason: 'malformed' };
    const { cluster, from, to, ts, nonce, msg } = envelope;
    if (cluster !== this.options.cluster) return { ok: false, reason: 'unknown-peer', from };
    const { secret } = this.options;
    if (secret !== undefined && this.replays !== undefined) {
      if (envelope.mac === undefined) return { ok: false, reason: 'unauthenticated' };
      const expected = mac(
        secret,
        canonicalText(cluster, from, to, ts, nonce, JSON.stringify(msg)),
      );
      if (!timingSafeEqual(expected, Buffer.from(envelope.mac, 'hex'))) {
        return { ok: false, reason: 'unauthenticated' };
      }
      if (Math.abs(now - ts) > this.options.maxAgeMs) {
        return { ok: false, reason: 'unauthenticated' };
      }
      if (!this.replays.admit(from, nonce, ts, now)) {
        return { ok: false, reason: 'unauthenticated' };
      }
    }
    return { ok: true, from, to, msg };
  }
}
