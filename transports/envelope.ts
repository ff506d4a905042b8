/** The wire protocol version carried in every frame. */
export const WIRE_VERSION = 1;

/** An inbound frame that passed structural validation. */
export type WireFrame =
  | { kind: 'hello'; id: string }
  | { kind: 'wake'; id: string }
  | { kind: 'auth' }
  /** Sent on a link that has carried nothing else for a while, so silence means trouble. */
  | { kind: 'ping' }
  | { kind: 'envelope'; from: string; msg: unknown };

// fatal: a frame that is not valid UTF-8 is malformed, not silently repaired.
const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The first frame a dialing node sends, naming itself. */
export function encodeHello(id: string): string {
  return JSON.stringify({ v: WIRE_VERSION, hello: id });
}

/**
 * The only frame of a short connection a node opens, when it starts, to each peer that
 * dials it: "I am up, dial me now", so that peer need not wait out its reconnect backoff.
 */
export function encodeWake(id: string): string {
  return JSON.stringify({ v: WIRE_VERSION, wake: id });
}

/**
 * Keeps a quiet link audibly alive. Raft followers, for one, never talk to each other, and a
 * link that a cut left half-open looks just as quiet: with pings, only the broken one is.
 */
export function encodePing(): string {
  return PING;
}

const PING = JSON.stringify({ v: WIRE_VERSION, ping: 1 });

/**
 * Serialises a message for the wire, or returns undefined when it cannot be (cycles,
 * BigInt, `undefined`), so callers can drop it instead of throwing at the send site.
 */
export function encodeEnvelope(from: string, msg: unknown): string | undefined {
  if (msg === undefined) return undefined;
  try {
    return JSON.stringify({ v: WIRE_VERSION, from, msg });
  } catch {
    return undefined;
  }
}

/** Parses and structurally validates one frame; undefined means malformed. */
export function decodeFrame(payload: Uint8Array): WireFrame | undefined {
  let value: unknown;
  try {
    value = JSON.parse(utf8.decode(payload));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const frame = value as Record<string, unknown>;
  if (frame.v !== WIRE_VERSION) return undefined;
  // A handshake frame of shared-secret authentication (see stream-auth), told apart here so
  // that a node without the secret can say why it refuses the connection.
  if ('auth' in frame || 'proof' in frame) return { kind: 'auth' };
  if ('ping' in frame) return frame.ping === 1 ? { kind: 'ping' } : undefined;
  if ('hello' in frame) {
    return typeof frame.hello === 'string' && frame.hello.length > 0
      ? { kind: 'hello', id: frame.hello }
      : undefined;
  }
  if ('wake' in frame) {
    return typeof frame.wake === 'string' && frame.wake.length > 0
      ? { kind: 'wake', id: frame.wake }
      : undefined;
  }
  if (typeof frame.from !== 'string' || !('msg' in frame)) return undefined;
  return { kind: 'envelope', from: frame.from, msg: frame.msg };
}
