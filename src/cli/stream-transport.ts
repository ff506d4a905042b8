import {
  type StreamTransportOptions,
  type TransportLogic,
  tcpTransport,
  wsTransport,
} from '../../transports/index.js';
import type { TlsFiles, TransportName } from './node-flags.js';
import { loadTlsFiles } from './tls-files.js';

/** The TCP or WebSocket transport a `node` command asked for, its TLS files read. */
export function streamTransport(
  transport: TransportName,
  listen: string,
  tls: TlsFiles | undefined,
): TransportLogic {
  const options: StreamTransportOptions = { listen };
  if (tls !== undefined) options.tls = loadTlsFiles(tls);
  return transport === 'ws' ? wsTransport(options) : tcpTransport(options);
}
