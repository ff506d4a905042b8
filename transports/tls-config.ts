import { isIP } from 'node:net';
import tls from 'node:tls';
import type { TlsOptions } from './stream-options.js';
import type { DropReason } from './types.js';

/** Server-side TLS options; throws when the configuration cannot work at all. */
export function tlsServerOptions(config: TlsOptions, handshakeTimeoutMs: number): tls.TlsOptions {
  if (config.cert === undefined || config.key === undefined) {
    throw new Error('TLS needs both cert and key');
  }
  const mutual = config.mutual === true;
  const options: tls.TlsOptions = {
    cert: config.cert,
    key: config.key,
    requestCert: mutual,
    rejectUnauthorized: mutual,
    handshakeTimeout: handshakeTimeoutMs,
    minVersion: 'TLSv1.2',
  };
  if (config.ca !== undefined) options.ca = config.ca;
  return options;
}

/** Client-side TLS material for dialing: trusted CAs, plus our certificate when mutual. */
export function tlsClientContext(config: TlsOptions): tls.SecureContext {
  const options: tls.SecureContextOptions = { minVersion: 'TLSv1.2' };
  if (config.ca !== undefined) options.ca = config.ca;
  if (config.mutual === true) {
    if (config.cert === undefined || config.key === undefined) {
      throw new Error('mutual TLS needs both cert and key');
    }
    options.cert = config.cert;
    options.key = config.key;
  }
  return tls.createSecureContext(options);
}

/** SNI name for a dial: the configured one, else the host unless it is an IP (RFC 6066). */
export function tlsServerName(config: TlsOptions, host: string): string | undefined {
  if (config.serverName !== undefined) return config.serverName;
  return isIP(host) === 0 ? host : undefined;
}

// Handshake failures about identity rather than protocol: no, untrusted or unwanted certificates.
const AUTHENTICATION_FAILURE = /CERT|UNKNOWN_CA/;

/**
 * Classifies a failed inbound TLS handshake for the drop counters; undefined for a client
 * that merely hung up, which is not bad input. A rejected client certificate surfaces as a
 * plain reset, so the socket's verification result is consulted first.
 */
export function tlsFailureReason(
  error: Error & { code?: string },
  socket: tls.TLSSocket,
): DropReason | undefined {
  if (socket.authorizationError) return 'unauthenticated';
  const code = error.code ?? '';
  if (code === 'ERR_TLS_HANDSHAKE_TIMEOUT') return 'timeout';
  if (code === 'ECONNRESET' || code === 'EPIPE') return undefined;
  return AUTHENTICATION_FAILURE.test(code) ? 'unauthenticated' : 'malformed';
}
