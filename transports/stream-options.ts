import { type HostPort, parseHostPort } from './address.js';
import { DEFAULT_MAX_PENDING_CONNECTIONS } from './pending-connections.js';
import { DEFAULT_MAX_FRAME_BYTES } from './types.js';

/** Reconnect backoff of the stream transports: capped exponential, with jitter. */
export interface BackoffOptions {
  /** First reconnect delay ceiling; default 50 ms. */
  baseMs?: number;
  /** Largest reconnect delay ceiling; default 2000 ms. */
  capMs?: number;
}

/** TLS for the stream transports (PEM strings or buffers). */
export interface TlsOptions {
  /** Trusted CA(s) for verifying the other side; Node's default roots when omitted. */
  ca?: string | Buffer;
  /** This node's certificate chain (PEM), served when listening and presented when mutual. */
  cert?: string | Buffer;
  /** The private key for `cert` (PEM). */
  key?: string | Buffer;
  /** Require and verify client certificates, and present ours when dialing. */
  mutual?: boolean;
  /** Name to verify the dialed server's certificate against, instead of the peer's host. */
  serverName?: string;
  /**
   * With mutual TLS, a peer's certificate must name the id it claims (its subject CN, or a
   * DNS or URI subject alternative name), both on connections it dials and on those it
   * accepts. Without this, any certificate the CA signed may speak for any member.
   */
  verifyPeerIds?: boolean;
}

/** Options shared by the stream transports (TCP and WebSocket). */
export interface StreamTransportOptions {
  /** Where to listen, `HOST:PORT` (`[::1]:7001` for IPv6). */
  listen: string;
  /** Largest inbound frame accepted; default `DEFAULT_MAX_FRAME_BYTES`. */
  maxFrameBytes?: number;
  /** How long a dial may take to connect (including TLS); default 2000 ms. */
  connectTimeoutMs?: number;
  /** How long an accepted connection has to deliver a valid hello; default 5000 ms. */
  handshakeTimeoutMs?: number;
  /** How long a frame may take to arrive once its first byte has; default 5000 ms. */
  frameTimeoutMs?: number;
  /** A link that has sent nothing for this long sends a ping; default 500 ms. */
  pingIntervalMs?: number;
  /**
   * A link that has heard nothing (not even a ping) for this long is closed, counted as
   * `timeout`, and dialed afresh; default 2000 ms, at least twice `pingIntervalMs`. TCP
   * alone would wait out its own retransmission backoff after a one-way cut heals, which
   * grows to seconds; a new connection gets through at once.
   */
  idleTimeoutMs?: number;
  /**
   * Most inbound connections held before they complete their handshake (TLS, upgrade,
   * hello, authentication); past it new ones are closed at once and counted as `refused`.
   * Default `DEFAULT_MAX_PENDING_CONNECTIONS` (64).
   */
  maxPendingConnections?: number;
  /**
   * Most of those held for one remote address; default a quarter of
   * `maxPendingConnections`, so one flooding host leaves room for members elsewhere.
   */
  maxPendingPerAddress?: number;
  backoff?: BackoffOptions;
  tls?: TlsOptions;
  /**
   * A secret every member shares. Each connection then starts with a nonce exchange that
   * proves both ends hold it, and every frame after it carries an HMAC-SHA256 over its
   * sequence number and body; a peer without the secret (or with another) is refused and
   * counted as `unauthenticated`.
   */
  secret?: string | Buffer;
}

/** Options with every default applied and every value checked. */
export interface ResolvedStreamOptions {
  listen: HostPort;
  listenText: string;
  maxFrameBytes: number;
  connectTimeoutMs: number;
  handshakeTimeoutMs: number;
  frameTimeoutMs: number;
  pingIntervalMs: number;
  idleTimeoutMs: number;
  maxPendingConnections: number;
  maxPendingPerAddress: number;
  backoff: Required<BackoffOptions>;
  tls: TlsOptions | undefined;
  secret: Buffer | undefined;
}

// The TCP length prefix is a u32, so no frame can be larger than this.
const MAX_FRAME_LIMIT = 0xffff_ffff;

function positiveInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${name} must be a positive integer, got ${String(value)}`);
  }
  return value;
}

/** Applies defaults; throws on values that can only be a configuration mistake. */
export function resolveStreamOptions(options: StreamTransportOptions): ResolvedStreamOptions {
  const listen = parseHostPort(options.listen);
  const maxFrameBytes = positiveInteger(
    'maxFrameBytes',
    options.maxFrameBytes,
    DEFAULT_MAX_FRAME_BYTES,
  );
  if (maxFrameBytes > MAX_FRAME_LIMIT) {
    throw new Error(`maxFrameBytes must be at most ${MAX_FRAME_LIMIT}, got ${maxFrameBytes}`);
  }
  const baseMs = positiveInteger('backoff.baseMs', options.backoff?.baseMs, 50);
  const capMs = positiveInteger('backoff.capMs', options.backoff?.capMs, 2000);
  if (capMs < baseMs) {
    throw new Error(`backoff.capMs (${capMs}) must not be below backoff.baseMs (${baseMs})`);
  }
  if (options.tls?.verifyPeerIds === true && options.tls.mutual !== true) {
    throw new Error(
      'tls.verifyPeerIds needs mutual TLS: without client certificates there is no id to check',
    );
  }
  const pingIntervalMs = positiveInteger('pingIntervalMs', options.pingIntervalMs, 500);
  const idleTimeoutMs = positiveInteger(
    'idleTimeoutMs',
    options.idleTimeoutMs,
    Math.max(2000, 2 * pingIntervalMs),
  );
  if (idleTimeoutMs < 2 * pingIntervalMs) {
    throw new Error(
      `idleTimeoutMs (${idleTimeoutMs}) must be at least twice pingIntervalMs (${pingIntervalMs}): a quiet link would be closed between two pings`,
    );
  }
  const maxPendingConnections = positiveInteger(
    'maxPendingConnections',
    options.maxPendingConnections,
    DEFAULT_MAX_PENDING_CONNECTIONS,
  );
  const secret = options.secret === undefined ? undefined : Buffer.from(options.secret);
  if (secret !== undefined && secret.length === 0) throw new Error('secret must not be empty');
  return {
    listen,
    listenText: options.listen,
    maxFrameBytes,
    connectTimeoutMs: positiveInteger('connectTimeoutMs', options.connectTimeoutMs, 2000),
    handshakeTimeoutMs: positiveInteger('handshakeTimeoutMs', options.handshakeTimeoutMs, 5000),
    frameTimeoutMs: positiveInteger('frameTimeoutMs', options.frameTimeoutMs, 5000),
    pingIntervalMs,
    idleTimeoutMs,
    maxPendingConnections,
    maxPendingPerAddress: positiveInteger(
      'maxPendingPerAddress',
      options.maxPendingPerAddress,
      Math.max(1, Math.ceil(maxPendingConnections / 4)),
    ),
    backoff: { baseMs, capMs },
    tls: options.tls,
    secret,
  };
}
