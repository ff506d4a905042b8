import { createSocket, type Socket } from 'node:dgram';
import { isIPv4 } from 'node:net';
import { fromCallback } from 'xstate';
import { decodeBullyMessage, isPid } from '../machines/bully/messages.js';
import { type HostPort, parseHostPort } from './address.js';
import { BoundedQueue } from './bounded-queue.js';
import { DatagramOpener, sealDatagram } from './datagram-envelope.js';
import { decodeMultibully, encodeMultibully, isDottedIPv4 } from './multibully-codec.js';
import type {
  DropReason,
  TransportCommand,
  TransportEvent,
  TransportInput,
  TransportLogic,
} from './types.js';

/** An administratively scoped group (239/8), which routers keep inside the organisation. */
export const DEFAULT_MULTICAST_GROUP = '239.255.77.77:9999';

/** The largest payload a UDP datagram over IPv4 can carry. */
export const MAX_UDP_PAYLOAD_BYTES = 65_507;

/** Options of `udpMulticastTransport`. */
export interface UdpMulticastTransportOptions {
  /** The multicast group, `ADDR:PORT`; default `DEFAULT_MULTICAST_GROUP`. */
  group?: string;
  /** Local IPv4 address of the interface to join and send on; the OS chooses when omitted. */
  iface?: string;
  /** How many router hops a datagram may cross; default 1 (this subnet only). */
  ttl?: number;
  /** Deliver our datagrams to sockets on this host too, so nodes can share one; default true. */
  loopback?: boolean;
  /** `electorate` (JSON envelope, optional HMAC) or `multibully` (the Go library's format). */
  format?: 'electorate' | 'multibully';
  /** Only datagrams for this cluster are accepted (electorate format); default 'electorate'. */
  cluster?: string;
  /** Signs every datagram and accepts only signed, fresh, unreplayed ones (electorate format). */
  secret?: string | Buffer;
  /** How far a signed datagram's timestamp may be from our clock; default 30000 ms. */
  maxAgeMs?: number;
  /** Larger inbound datagrams are dropped as oversize; default and maximum 65507. */
  maxDatagramBytes?: number;
  /** This node's pid (multibully format), to recognise our own datagrams looping back. */
  pid?: string;
  /** This node's dotted IPv4 address (multibully format), for the same purpose. */
  address?: string;
  /**
   * Drop senders outside the configured peers; default false, as peers are discovered. In
   * the multibully format a sender's id is `IP:PID`, so peer ids must be written that way.
   */
  closedMembership?: boolean;
}

interface ResolvedOptions {
  group: HostPort;
  iface: string | undefined;
  ttl: number;
  loopback: boolean;
  format: 'electorate' | 'multibully';
  cluster: string;
  secret: Buffer | undefined;
  maxAgeMs: number;
  maxDatagramBytes: number;
  pid: string | undefined;
  address: string | undefined;
  closedMembership: boolean;
}

/** What one inbound datagram turned out to be. */
type Inbound =
  | { kind: 'message'; from: string; msg: unknown }
  | { kind: 'drop'; reason: DropReason; from?: string }
  /** Nothing for this node: its own datagram looping back, or one addressed to another. */
  | { kind: 'skip' };

/** Turns commands into datagrams and datagrams into messages, in one wire format. */
interface DatagramCodec {
  /** `to` is a member id, or '*' for the whole group. */
  encode(msg: unknown, to: string): Buffer | undefined;
  decode(datagram: Buffer): Inbound;
}

// Sends issued before the socket is bound; the protocols tolerate loss, so old ones go.
const QUEUE_DATAGRAMS = 64;

const MULTIBULLY_SECRET_REFUSED =
  "the multibully wire format has no authentication: a secret cannot be used with format 'multibully'";

/**
 * Peers on a UDP multicast group. Every send goes to the whole group, since multicast has
 * no way to reach one member; receivers drop their own datagrams as they loop back, and
 * (in electorate's format) those addressed to another member, so a reply meant for one
 * candidate is never counted by another. Members
 * are whoever speaks on the group unless `closedMembership` limits them to the peer list.
 */
export function udpMulticastTransport(options: UdpMulticastTransportOptions = {}): TransportLogic {
  const resolved = resolveOptions(options);
  return fromCallback<TransportCommand, TransportInput>(({ input, receive, sendBack }) => {
    const back = (event: TransportEvent): void => sendBack(event);
    const codec =
      resolved.format === 'multibully'
        ? multibullyCodec(resolved)
        : electorateCodec(resolved, input.id);
    const peers = new Set(input.peers.map((p) => p.id));
    const closedTo = resolved.closedMembership && peers.size > 0 ? peers : undefined;
    const { group } = resolved;
    const socket = createSocket({ type: 'udp4', reuseAddr: true });
    const pending = new BoundedQueue<Buffer>(QUEUE_DATAGRAMS);
    let ready = false;
    let closed = false;

    const transmit = (datagram: Buffer): void => {
      // UDP is lossy anyway: a failed send (no route, buffer full) is one more lost datagram.
      try {
        socket.send(datagram, group.port, group.host, () => {});
      } catch {
        // The socket went away under us; the runtime hears of that through transport.error.
      }
    };

    const fail = (message: string, cause: unknown): void => {
      if (closed) return;
      back({ type: 'transport.error', error: new Error(message, { cause }) });
    };

    socket.on('error', (error) => {
      if (ready) return fail('udp multicast socket failed', error);
      fail(`cannot bind udp multicast socket to 0.0.0.0:${group.port}`, error);
      close(socket, resolved);
    });

    socket.on('message', (datagram) => {
      if (closed) return;
      const inbound = receiveDatagram(datagram, codec, resolved.maxDatagramBytes);
      if (inbound.kind === 'skip') return;
      if (inbound.kind === 'drop') return back(dropped(inbound.reason, inbound.from));
      if (closedTo !== undefined && !closedTo.has(inbound.from)) {
        return back(dropped('unknown-peer', inbound.from));
      }
      const msg = decodeSafely(input.decode, inbound.msg);
      if (msg === undefined) return back(dropped('invalid', inbound.from));
      back({ type: 'receive', from: inbound.from, msg });
    });

    socket.bind(group.port, '0.0.0.0', () => {
      if (closed) return;
      try {
        joinGroup(socket, resolved);
      } catch (error) {
        fail(
          `cannot join multicast group ${group.host} on ${resolved.iface ?? 'the default interface'}`,
          error,
        );
        close(socket, resolved);
        return;
      }
      ready = true;
      for (const datagram of pending.drain()) transmit(datagram);
      back({ type: 'transport.ready' });
    });

    receive((command) => {
      if (closed || command.type !== 'send') return;
      const datagram = codec.encode(command.msg, command.to);
      if (datagram === undefined || datagram.length > resolved.maxDatagramBytes) return;
      if (ready) transmit(datagram);
      else pending.push(datagram);
    });

    return () => {
      if (closed) return;
      closed = true;
      close(socket, resolved);
    };
  });
}

function dropped(reason: DropReason, from: string | undefined): TransportEvent {
  return from === undefined
    ? { type: 'transport.dropped', reason }
    : { type: 'transport.dropped', reason, from };
}

function receiveDatagram(datagram: Buffer, codec: DatagramCodec, maxBytes: number): Inbound {
  if (datagram.length > maxBytes) return { kind: 'drop', reason: 'oversize' };
  try {
    return codec.decode(datagram);
  } catch {
    // The codecs are written not to throw; this keeps a bug in one from killing the socket.
    return { kind: 'drop', reason: 'malformed' };
  }
}

/** A protocol validator that throws counts as rejecting the message, not as a crash. */
function decodeSafely(decode: TransportInput['decode'], msg: unknown): unknown {
  try {
    return decode(msg);
  } catch {
    return undefined;
  }
}

function joinGroup(socket: Socket, options: ResolvedOptions): void {
  socket.addMembership(options.group.host, options.iface);
  if (options.iface !== undefined) socket.setMulticastInterface(options.iface);
  socket.setMulticastTTL(options.ttl);
  socket.setMulticastLoopback(options.loopback);
}

function close(socket: Socket, options: ResolvedOptions): void {
  try {
    socket.dropMembership(options.group.host, options.iface);
  } catch {
    // Not bound yet, or never joined: closing the socket leaves the group regardless.
  }
  try {
    socket.close();
  } catch {
    // Already closed.
  }
}

function electorateCodec(options: ResolvedOptions, id: string): DatagramCodec {
  const { cluster, secret, maxAgeMs } = options;
  const opener = new DatagramOpener({ cluster, secret, maxAgeMs });
  return {
    encode: (msg, to) =>
      sealDatagram(msg, { cluster, from: id, to: to === '*' ? undefined : to, secret }),
    decode: (datagram) => {
      const opened = opener.open(datagram);
      if (!opened.ok) return { kind: 'drop', reason: opened.reason, from: opened.from };
      if (opened.from === id) return { kind: 'skip' };
      // Checked after the MAC: on a signed group nobody can redirect a datagram.
      if (opened.to !== undefined && opened.to !== id) return { kind: 'skip' };
      return { kind: 'message', from: opened.from, msg: opened.msg };
    },
  };
}

/**
 * Multibully datagrams name no sender id, so the (IP, PID) pair serves as one. Our own are
 * recognised by the configured pid and address, and by every identity we have sent as,
 * which covers a node configured with neither.
 */
function multibullyCodec(options: ResolvedOptions): DatagramCodec {
  const sentAs = new Set<string>();
  const identity = (address: string, pid: string): string => `${address}:${pid}`;
  const isOwn = (address: string, pid: string): boolean => {
    if (sentAs.has(identity(address, pid))) return true;
    if (options.pid === undefined && options.address === undefined) return false;
    return (
      (options.pid === undefined || options.pid === pid) &&
      (options.address === undefined || options.address === address)
    );
  };
  return {
    encode: (raw) => {
      const msg = decodeBullyMessage(raw);
      if (msg === undefined) return undefined;
      let datagram: Buffer;
      try {
        datagram = encodeMultibully(msg);
      } catch {
        // An address that is not dotted IPv4 cannot be said on this wire.
        return undefined;
      }
      sentAs.add(identity(msg.address, msg.pid));
      return datagram;
    },
    decode: (datagram) => {
      const msg = decodeMultibully(datagram);
      if (msg === undefined) return { kind: 'drop', reason: 'malformed' };
      // Multibully has no addressee: every datagram is for the whole group.
      if (isOwn(msg.address, msg.pid)) return { kind: 'skip' };
      return { kind: 'message', from: identity(msg.address, msg.pid), msg };
    },
  };
}

function checkInteger(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new RangeError(`${name} must be an integer from ${min} to ${max}, got ${value}`);
  }
  return value;
}

/** Applies defaults; throws on values that can only be a configuration mistake. */
function resolveOptions(options: UdpMulticastTransportOptions): ResolvedOptions {
  const format = options.format ?? 'electorate';
  if (format !== 'electorate' && format !== 'multibully') {
    throw new TypeError(`format must be 'electorate' or 'multibully', got ${String(format)}`);
  }
  if (format === 'multibully' && options.secret !== undefined) {
    throw new TypeError(MULTIBULLY_SECRET_REFUSED);
  }
  const group = parseHostPort(options.group ?? DEFAULT_MULTICAST_GROUP);
  if (!isMulticastIPv4(group.host, format === 'multibully')) {
    throw new TypeError(`group must be an IPv4 multicast address, got ${group.host}`);
  }
  if (options.iface !== undefined && !isIPv4(options.iface)) {
    throw new TypeError(`iface must be a local IPv4 address, got ${String(options.iface)}`);
  }
  const cluster = options.cluster ?? 'electorate';
  if (typeof cluster !== 'string' || cluster.length === 0) {
    throw new TypeError('cluster must be a non-empty string');
  }
  const secret = options.secret === undefined ? undefined : Buffer.from(options.secret);
  if (secret !== undefined && secret.length === 0) {
    throw new TypeError('secret must not be empty');
  }
  if (options.pid !== undefined && !isPid(options.pid)) {
    throw new RangeError(`pid must be an unsigned 64-bit integer, got ${String(options.pid)}`);
  }
  if (options.address !== undefined && !isDottedIPv4(options.address)) {
    throw new TypeError(`address must be a dotted IPv4 address, got ${String(options.address)}`);
  }
  return {
    group,
    iface: options.iface,
    ttl: checkInteger('ttl', options.ttl ?? 1, 0, 255),
    loopback: options.loopback ?? true,
    format,
    cluster,
    secret,
    maxAgeMs: checkInteger('maxAgeMs', options.maxAgeMs ?? 30_000, 1, Number.MAX_SAFE_INTEGER),
    maxDatagramBytes: checkInteger(
      'maxDatagramBytes',
      options.maxDatagramBytes ?? MAX_UDP_PAYLOAD_BYTES,
      1,
      MAX_UDP_PAYLOAD_BYTES,
    ),
    pid: options.pid,
    address: options.address,
    closedMembership: options.closedMembership === true,
  };
}

/**
 * 224.0.0.0/4, less 224.0.0.0 itself, which is reserved and never a group; multibully's
 * stock command joins it all the same, so its format may.
 */
function isMulticastIPv4(host: string, multibully: boolean): boolean {
  if (!isDottedIPv4(host)) return false;
  const first = Number(host.split('.')[0]);
  return first >= 224 && first <= 239 && (multibully || host !== '224.0.0.0');
}
