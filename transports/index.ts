export { formatHostPort, type HostPort, parseHostPort } from './address.js';
export {
  type EntropyPollOptions,
  type EntropyReading,
  entropySource,
  type HttpEntropyOptions,
  httpEntropySource,
} from './entropy-source.js';
export {
  type FaultPolicy,
  faultLink,
  type LinkFaultCounts,
  LinkFaults,
  type LinkRule,
  type LinkVerdict,
} from './fault-link.js';
export {
  ANONYMOUS_PEER,
  type HttpTransportOptions,
  httpTransport,
} from './http.js';
export { pythonJson } from './http-json.js';
export { PUSH_PATH } from './http-push.js';
export * from './kv/index.js';
export { MemoryNetwork, type MemoryNetworkOptions, memoryTransport } from './memory.js';
export {
  decodeMultibully,
  encodeMultibully,
  MULTIBULLY_DATAGRAM_BYTES,
} from './multibully-codec.js';
export type {
  BackoffOptions,
  StreamTransportOptions,
  TlsOptions,
} from './stream-options.js';
export { type TcpTransportOptions, tcpTransport } from './tcp.js';
export * from './types.js';
export {
  DEFAULT_MULTICAST_GROUP,
  type UdpMulticastTransportOptions,
  udpMulticastTransport,
} from './udp-multicast.js';
export { WS_PATH, type WsTransportOptions, wsTransport } from './ws.js';
