import { isIPv4 } from 'node:net';
import { bullyTiming, DEFAULT_BULLY_TIMING } from '../../machines/bully/definition.js';
import type { BullyTiming } from '../../machines/bully/machine.js';
import { DEFAULT_MULTICAST_GROUP } from '../../transports/udp-multicast.js';
import type { PeerConfig } from '../runtime/election.js';
import {
  type Flags,
  hostPort,
  memberId,
  milliseconds,
  oneOf,
  refuseFlags,
  required,
  single,
  wholeNumber,
} from './flags.js';
import {
  GROUP_FLAGS,
  httpTokenFile,
  KV_EXCLUSIVE_FLAGS,
  LES_ONLY_FLAGS,
  type LogFormat,
  logFormat,
  peerList,
  RAFT_ONLY_FLAGS,
  type SecretSource,
  STREAM_FLAGS,
  secretSource,
  type TlsFiles,
  tlsFiles,
} from './node-flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

/** Members find one another on a multicast group. */
export interface UdpLink {
  transport: 'udp';
  group: string;
  iface: string | undefined;
  ttl: number;
  format: 'electorate' | 'multibully';
  cluster: string | undefined;
  secret: string | undefined;
  /** Read when the node starts, like the TLS files. */
  secretFile: string | undefined;
}

/** Members are known in advance and reached point to point. */
export interface StreamLink {
  transport: 'tcp' | 'ws';
  listen: string;
  /** Every member, this node included. */
  peers: PeerConfig[];
  tls: TlsFiles | undefined;
  /** Authenticates every connection between members (--secret, --secret-file). */
  auth: SecretSource;
}

export interface BullyNodeConfig {
  protocol: 'bully';
  id: string;
  /** Canonical decimal. */
  pid: string;
  address: string;
  preempt: boolean;
  timing: BullyTiming;
  link: UdpLink | StreamLink;
  http: string | undefined;
  /** Where the diag server's bearer token is kept (--http-token-file). */
  httpTokenFile: string | undefined;
  log: LogFormat;
}

const UDP_FLAGS = ['group', 'iface', 'ttl', 'compat', 'cluster'];
const MAX_UINT64 = 2n ** 64n - 1n;
// Peers drop messages whose address is longer (see the bully message schema).
const MAX_ADDRESS_CHARS = 255;

function pid(text: string): string {
  if (!/^[0-9]+$/.test(text) || BigInt(text) > MAX_UINT64) {
    throw new UsageError(
      `--pid must be an unsigned 64-bit integer (0 to ${MAX_UINT64}), got ${quote(text)}`,
    );
  }
  return BigInt(text).toString();
}

/**
 * 224.0.0.0/4 less 224.0.0.0, which is reserved and never a group, except with the
 * multibully format: the stock multibully command joins 224.0.0.0 (Linux lets it), and a
 * node that refused that group could never join a cluster of unmodified multibully nodes.
 */
function multicastGroup(text: string, multibully: boolean): string {
  const canonical = hostPort('--group', text);
  const host = canonical.slice(0, canonical.lastIndexOf(':'));
  const first = Number(host.split('.')[0]);
  const reserved = host === '224.0.0.0' && !multibully;
  if (!isIPv4(host) || first < 224 || first > 239 || reserved) {
    const lowest = multibully ? '224.0.0.0' : '224.0.0.1';
    throw new UsageError(
      `--group must be an IPv4 multicast address (${lowest} to 239.255.255.255) and a port, got ${quote(text)}`,
    );
  }
  return canonical;
}

function ipv4(flag: string, text: string, what: string): string {
  if (!isIPv4(text)) throw new UsageError(`--${flag} must be ${what}, got ${quote(text)}`);
  return text;
}

function advertisedAddress(text: string): string {
  // It is printed in change lines, one space-separated field each.
  if (text.length > MAX_ADDRESS_CHARS || /[\s\p{Cc}]/u.test(text)) {
    throw new UsageError(
      `--address must be at most ${MAX_ADDRESS_CHARS} characters without spaces, got ${quote(text)}`,
    );
  }
  return text;
}

function udpLink(flags: Flags): UdpLink {
  refuseFlags(
    flags,
    STREAM_FLAGS,
    'applies only to --transport tcp or ws (over udp, members find each other on the group)',
  );
  const compat = single(flags, 'compat');
  const format =
    compat === undefined
      ? 'electorate'
      : oneOf('compat', compat, ['multibully'], new Set(), 'compat');
  const { secret, secretFile } = secretSource(flags);
  if (format === 'multibully') {
    if (secret !== undefined || secretFile !== undefined) {
      const flag = secret === undefined ? '--secret-file' : '--secret';
      throw new UsageError(
        `${flag}: the multibully wire format has no authentication, so a secret cannot be used with --compat multibully`,
      );
    }
    refuseFlags(flags, ['cluster'], "applies only to electorate's own wire format");
  }
  const iface = single(flags, 'iface');
  const ttl = single(flags, 'ttl');
  return {
    transport: 'udp',
    group: multicastGroup(
      single(flags, 'group') ?? DEFAULT_MULTICAST_GROUP,
      format === 'multibully',
    ),
    iface:
      iface === undefined
        ? undefined
        : ipv4('iface', iface, 'the IPv4 address of a local interface'),
    ttl: ttl === undefined ? 1 : wholeNumber('ttl', ttl, 255, '', 0),
    format,
    cluster: single(flags, 'cluster'),
    secret,
    secretFile,
  };
}

function streamLink(flags: Flags, transport: 'tcp' | 'ws'): Omit<StreamLink, 'peers'> {
  refuseFlags(flags, UDP_FLAGS, 'applies only to --transport udp');
  const listen = required(flags, 'listen', 'HOST:PORT');
  hostPort('--listen', listen);
  if (!flags.has('peers')) throw new UsageError('missing --peers ID=HOST:PORT,...');
  return { transport, listen, tls: tlsFiles(flags), auth: secretSource(flags) };
}

/** Longer than multibully's own 2000 ms election timeout. */
const MULTIBULLY_COORDINATOR_TIMEOUT_MS = 2500;

/** The Bully timing flags, checked against the timing rules. */
export function timing(flags: Flags): BullyTiming {
  const read = (flag: string, fallback: number) => {
    const text = single(flags, flag);
    return text === undefined ? fallback : milliseconds(flag, text);
  };
  const t: BullyTiming = {
    announceMs: read('announce', DEFAULT_BULLY_TIMING.announceMs),
    leaderTimeoutMs: read('leader-timeout', DEFAULT_BULLY_TIMING.leaderTimeoutMs),
    answerTimeoutMs: read('answer-timeout', DEFAULT_BULLY_TIMING.answerTimeoutMs),
    coordinatorTimeoutMs: read(
      'coordinator-timeout',
      // A multibully node takes 2 s to declare itself leader after an election; a node that
      // gave up on it sooner would restart the election and so restart that clock, forever.
      single(flags, 'compat') === 'multibully'
        ? MULTIBULLY_COORDINATOR_TIMEOUT_MS
        : DEFAULT_BULLY_TIMING.coordinatorTimeoutMs,
    ),
  };
  // Followers would give up on a leader that is still announcing.
  if (t.announceMs * 2 > t.leaderTimeoutMs) {
    throw new UsageError(
      `--announce (${t.announceMs}) must be at most half of --leader-timeout (${t.leaderTimeoutMs}): one lost announcement must not depose a live leader`,
    );
  }
  try {
    return bullyTiming(t);
  } catch (err) {
    // The check above should have caught it; this keeps the CLI and the library in step.
    throw new UsageError(`bad timing: ${(err as Error).message}`);
  }
}

export function bullyNodeConfig(flags: Flags): BullyNodeConfig {
  refuseFlags(flags, Object.keys(GROUP_FLAGS), 'does not apply to --protocol bully');
  refuseFlags(flags, KV_EXCLUSIVE_FLAGS, 'applies only to --protocol kv');
  refuseFlags(flags, Object.keys(LES_ONLY_FLAGS), 'applies only to --protocol les');
  refuseFlags(flags, Object.keys(RAFT_ONLY_FLAGS), 'does not apply to --protocol bully');
  const transport = oneOf(
    'transport',
    single(flags, 'transport') ?? 'udp',
    ['udp', 'tcp', 'ws'] as const,
    new Set(['http']),
    'transport',
  );
  const priority = pid(
    required(flags, 'pid', "N (this node's priority: the highest live pid leads)"),
  );
  const link = transport === 'udp' ? udpLink(flags) : streamLink(flags, transport);
  const addressText = single(flags, 'address');
  // Over TCP and WebSocket the listen address is where peers reach this node, and it
  // breaks ties between equal pids; over UDP the interface address is.
  const address =
    addressText === undefined
      ? link.transport === 'udp'
        ? (link.iface ?? '127.0.0.1')
        : link.listen
      : advertisedAddress(addressText);
  if (link.transport === 'udp' && link.format === 'multibully') {
    ipv4('address', address, 'a dotted IPv4 address with --compat multibully');
  }
  const idText = single(flags, 'id');
  const id = idText === undefined ? `${address}:${priority}` : memberId('--id', idText, true);
  const http = single(flags, 'http');
  if (http !== undefined) {
    const httpAt = hostPort('--http', http);
    if (link.transport !== 'udp' && httpAt === hostPort('--listen', link.listen)) {
      throw new UsageError(`--http and --listen cannot both be ${httpAt}`);
    }
  }
  return {
    protocol: 'bully',
    id,
    pid: priority,
    address,
    preempt: !flags.has('no-preempt'),
    timing: timing(flags),
    link:
      link.transport === 'udp'
        ? link
        : { ...link, peers: peerList(flags, id, link.listen, { colons: true }) },
    http,
    httpTokenFile: httpTokenFile(flags),
    log: logFormat(flags),
  };
}
