import {
  type StreamTransportOptions,
  type TransportLogic,
  tcpTransport,
  wsTransport,
} from '../../transports/index.js';
import type { SecretSource, TlsFiles, TransportName } from './node-flags.js';
import { readSecretFile } from './secret-file.js';
import { loadTlsFiles } from './tls-files.js';

/** The TCP or WebSocket transport a `node` command asked for, its TLS and secret files read. */
export function streamTransport(
  transport: TransportName,
  listen: string,
  tls: TlsFiles | undefined,
  auth: SecretSource,
): TransportLogic {
  const options: StreamTransportOptions = { listen };
  if (tls !== undefined) options.tls = loadTlsFiles(tls);
  const secret = auth.secretFile === undefined ? auth.secret : readSecretFile(auth.secretFile);
  if (secret !== undefined) options.secret = secret;
  return transport === 'ws' ? wsTransport(options) : tcpTransport(options);
}
