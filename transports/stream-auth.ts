import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { WIRE_VERSION } from './envelope.js';

/**
 * Shared-secret authentication for a stream connection. The dialing side (the initiator)
 * names itself and sends a fresh nonce; the accepting side (the responder) answers with its
 * own id, its own fresh nonce and a proof that it holds the secret; the initiator replies
 * with its proof. Both proofs and both directions' frame keys come from a session key,
 * HMAC(secret, ids, nonces, intent), so nothing captured from one connection verifies on
 * another: each side's nonce is new every time. After that every frame is
 * `HEX(HMAC(direction key, sequence number, body)) + body`, the sequence number counting
 * that direction's frames from 0, so a frame that is changed, dropped, replayed or moved
 * within the connection no longer verifies.
 */

/** Why a connection is opened: a member's link, or the short wake of a peer that dials us. */
export type AuthIntent = 'link' | 'wake';

/** Both directions of an authenticated connection, from one side's point of view. */
export interface AuthChannel {
  /** The frame to write for `body`; each call takes the next outbound sequence number. */
  seal(body: string): string;
  /** The body of an inbound frame, or undefined when it does not verify as the next one. */
  open(frame: Uint8Array): Uint8Array | undefined;
}

const NONCE_BYTES = 16;
const MAC_HEX = 64;

/** What sealing adds to each frame: the hex MAC in front of the body. */
export const AUTH_FRAME_OVERHEAD = MAC_HEX;
const NONCE = /^[0-9a-f]{32}$/;
const MAC = /^[0-9a-f]{64}$/;
const INTENTS: ReadonlySet<string> = new Set<AuthIntent>(['link', 'wake']);
const utf8 = new TextDecoder('utf-8', { fatal: true });

function hmac(key: Buffer, ...parts: Array<string | Uint8Array>): Buffer {
  const mac = createHmac('sha256', key);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

function equalMac(expected: Buffer, hex: string): boolean {
  return MAC.test(hex) && timingSafeEqual(expected, Buffer.from(hex, 'hex'));
}

interface SessionKeys {
  initiatorProof: Buffer;
  responderProof: Buffer;
  initiatorToResponder: Buffer;
  responderToInitiator: Buffer;
}

function sessionKeys(
  secret: Buffer,
  intent: AuthIntent,
  initiator: string,
  responder: string,
  initiatorNonce: string,
  responderNonce: string,
): SessionKeys {
  // A JSON array keeps the fields apart: no two different tuples give the same text.
  const context = JSON.stringify([
    'electorate stream',
    WIRE_VERSION,
    intent,
    initiator,
    responder,
    initiatorNonce,
    responderNonce,
  ]);
  const root = hmac(secret, context);
  return {
    initiatorProof: hmac(root, 'initiator proof'),
    responderProof: hmac(root, 'responder proof'),
    initiatorToResponder: hmac(root, 'initiator to responder'),
    responderToInitiator: hmac(root, 'responder to initiator'),
  };
}

function sequenceBytes(sequence: bigint): Buffer {
  const bytes = Buffer.alloc(8);
  bytes.writeBigUInt64BE(sequence);
  return bytes;
}

function channel(sendKey: Buffer, receiveKey: Buffer): AuthChannel {
  let sent = 0n;
  let received = 0n;
  return {
    seal(body) {
      const mac = hmac(sendKey, sequenceBytes(sent), body).toString('hex');
      sent += 1n;
      return mac + body;
    },
    open(frame) {
      if (frame.length < MAC_HEX) return undefined;
      const hex = Buffer.from(frame.subarray(0, MAC_HEX)).toString('latin1');
      const body = frame.subarray(MAC_HEX);
      if (!equalMac(hmac(receiveKey, sequenceBytes(received), body), hex)) return undefined;
      received += 1n;
      return body;
    },
  };
}

function parseObject(frame: Uint8Array): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(utf8.decode(frame));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const record = value as Record<string, unknown>;
    return record.v === WIRE_VERSION ? record : undefined;
  } catch {
    return undefined;
  }
}

function nonce(): string {
  return randomBytes(NONCE_BYTES).toString('hex');
}

/** A claim to be `id`, opening an authenticated connection; not proof of anything yet. */
export interface AuthHello {
  id: string;
  nonce: string;
  intent: AuthIntent;
}

/** The first frame of an authenticated connection, or undefined when `frame` is not one. */
export function parseAuthHello(frame: Uint8Array): AuthHello | undefined {
  const f = parseObject(frame);
  if (f === undefined || typeof f.auth !== 'string' || f.auth.length === 0) return undefined;
  if (typeof f.nonce !== 'string' || !NONCE.test(f.nonce)) return undefined;
  if (typeof f.intent !== 'string' || !INTENTS.has(f.intent)) return undefined;
  if ('mac' in f) return undefined;
  return { id: f.auth, nonce: f.nonce, intent: f.intent as AuthIntent };
}

/** The dialing side's half of the handshake. */
export class InitiatorHandshake {
  private readonly nonce = nonce();

  constructor(
    private readonly secret: Buffer,
    private readonly id: string,
    private readonly intent: AuthIntent,
  ) {}

  /** The first frame to write, sent as is. */
  hello(): string {
    return JSON.stringify({
      v: WIRE_VERSION,
      auth: this.id,
      nonce: this.nonce,
      intent: this.intent,
    });
  }

  /**
   * Checks the responder's challenge, which must come from `peer`. On success returns the
   * proof to write (as is) and the channel for everything after it.
   */
  answer(frame: Uint8Array, peer: string): { proof: string; channel: AuthChannel } | undefined {
    const f = parseObject(frame);
    if (f === undefined || f.auth !== peer) return undefined;
    if (typeof f.nonce !== 'string' || !NONCE.test(f.nonce) || typeof f.mac !== 'string') {
      return undefined;
    }
    const keys = sessionKeys(this.secret, this.intent, this.id, peer, this.nonce, f.nonce);
    if (!equalMac(keys.responderProof, f.mac)) return undefined;
    return {
      proof: JSON.stringify({ v: WIRE_VERSION, proof: keys.initiatorProof.toString('hex') }),
      channel: channel(keys.initiatorToResponder, keys.responderToInitiator),
    };
  }
}

/** The accepting side's half, begun once the hello has been checked against the peer list. */
export class ResponderHandshake {
  private readonly keys: SessionKeys;
  private readonly nonce = nonce();

  constructor(
    secret: Buffer,
    private readonly id: string,
    readonly hello: AuthHello,
  ) {
    this.keys = sessionKeys(secret, hello.intent, hello.id, id, hello.nonce, this.nonce);
  }

  /** The challenge to write (as is): our id, our nonce and our proof. */
  challenge(): string {
    return JSON.stringify({
      v: WIRE_VERSION,
      auth: this.id,
      nonce: this.nonce,
      mac: this.keys.responderProof.toString('hex'),
    });
  }

  /** The channel when `frame` is the initiator's valid proof; undefined otherwise. */
  verify(frame: Uint8Array): AuthChannel | undefined {
    const f = parseObject(frame);
    if (f === undefined || typeof f.proof !== 'string') return undefined;
    if (!equalMac(this.keys.initiatorProof, f.proof)) return undefined;
    return channel(this.keys.responderToInitiator, this.keys.initiatorToResponder);
  }
}
