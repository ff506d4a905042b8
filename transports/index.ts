export { formatHostPort, type HostPort, parseHostPort } from './address.js';
export {
  type EntropyPollOptions,
  type EntropyReading,
  entropySource,
  type HttpEntropyOptions,
  httpEntropySource,
} from './entropy-source.js';
export { MemoryNetwork, type MemoryNetworkOptions, memoryTransport } from './memory.js';
export type {
  BackoffOptions,
  StreamTransportOptions,
  TlsOptions,
} from './stream-options.js';
export { type TcpTransportOptions, tcpTransport } from './tcp.js';
export * from './types.js';
export { WS_PATH, type WsTransportOptions, wsTransport } from './ws.js';
