import type { PeerConfig } from '../runtime/election.js';
import {
  type FlagKind,
  type Flags,
  hostPort,
  listItems,
  memberId,
  oneOf,
  single,
} from './flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export type LogFormat = 'text' | 'json' | 'none';
export type TransportName = 'tcp' | 'ws';

/** Paths as given; reading them is a separate, impure step. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
  mutual: boolean;
  /** A member's certificate must name its id (see TlsOptions.verifyPeerIds). */
  verifyPeerIds: boolean;
}

/** Flags every protocol's `node` takes. */
export const COMMON_NODE_FLAGS: Record<string, FlagKind> = {
  protocol: 'value',
  id: 'value',
  listen: 'value',
  peers: 'repeatable',
  transport: 'value',
  http: 'value',
  'http-token-file': 'value',
  'tls-ca': 'value',
  'tls-cert': 'value',
  'tls-key': 'value',
  'tls-mutual': 'switch',
  'tls-verify-ids': 'switch',
  log: 'value',
};

export const RAFT_ONLY_FLAGS: Record<string, FlagKind> = {
  heartbeat: 'value',
  'election-timeout': 'value',
  lease: 'value',
  'data-dir': 'value',
  'no-vote': 'switch',
  'non-voters': 'repeatable',
  tag: 'repeatable',
  spread: 'switch',
};

/** Flags of the protocols that run many elections as one group (Raft, KV). */
export const GROUP_FLAGS: Record<string, FlagKind> = {
  elections: 'repeatable',
  shards: 'value',
};

export const BULLY_ONLY_FLAGS: Record<string, FlagKind> = {
  pid: 'value',
  address: 'value',
  'no-preempt': 'switch',
  announce: 'value',
  'leader-timeout': 'value',
  'answer-timeout': 'value',
  'coordinator-timeout': 'value',
  group: 'value',
  iface: 'value',
  ttl: 'value',
  compat: 'value',
  cluster: 'value',
  secret: 'value',
  'secret-file': 'value',
};

/** Flags `--protocol kv` takes; `ttl` is shared with Bully (multicast hops there, the key's lease here). */
export const KV_ONLY_FLAGS: Record<string, FlagKind> = {
  store: 'value',
  key: 'value',
  ttl: 'value',
};

/** The KV flags no other protocol takes. */
export const KV_EXCLUSIVE_FLAGS = ['store', 'key'];

/** Flags only `--protocol les` takes; the names are the reference implementation's. */
export const LES_ONLY_FLAGS: Record<string, FlagKind> = {
  'bind-interface': 'value',
  'bind-port': 'value',
  'advertise-addr': 'value',
  seeds: 'repeatable',
  'loop-rate': 'value',
  'allow-members': 'repeatable',
  'max-members': 'value',
  push: 'switch',
  'no-push': 'switch',
  alone: 'switch',
};

/** A shared secret, given inline or in a file (read when the node starts). */
export interface SecretSource {
  secret: string | undefined;
  secretFile: string | undefined;
}

/** Flags that Raft and Bully share: over udp they sign datagrams, over tcp and ws connections. */
export const SECRET_FLAGS = ['secret', 'secret-file'];

/** --secret or --secret-file, not both. */
export function secretSource(flags: Flags): SecretSource {
  const secret = single(flags, 'secret');
  const secretFile = single(flags, 'secret-file');
  if (secret !== undefined && secretFile !== undefined) {
    throw new UsageError('--secret and --secret-file cannot both be given');
  }
  return { secret, secretFile };
}

/** Flags that only mean something on a point-to-point (TCP or WebSocket) transport. */
export const STREAM_FLAGS = [
  'listen',
  'peers',
  'tls-ca',
  'tls-cert',
  'tls-key',
  'tls-mutual',
  'tls-verify-ids',
];

export function logFormat(flags: Flags): LogFormat {
  return oneOf(
    'log',
    single(flags, 'log') ?? 'text',
    ['text', 'json', 'none'],
    new Set(),
    'log format',
  );
}

/**
 * The member list from --peers, this node added if it is not there. `colons` lets ids hold
 * ':' (Bully); `noVote` marks this node as a non-voter (Raft).
 */
export function peerList(
  flags: Flags,
  id: string,
  listen: string,
  options: { noVote?: boolean; colons?: boolean } = {},
): PeerConfig[] {
  const peers: PeerConfig[] = [];
  const byAddress = new Map<string, string>();
  for (const entry of listItems(flags, 'peers')) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new UsageError(`--peers entry ${quote(entry)} must be ID=HOST:PORT`);
    const peerId = memberId('--peers', entry.slice(0, eq), options.colons);
    const peerAddress = entry.slice(eq + 1);
    const canonical = hostPort(`--peers entry for ${peerId}`, peerAddress);
    if (peers.some((p) => p.id === peerId)) {
      throw new UsageError(`--peers lists ${quote(peerId)} more than once`);
    }
    const other = byAddress.get(canonical);
    if (other !== undefined) {
      throw new UsageError(
        `--peers gives ${quote(other)} and ${quote(peerId)} the same address ${canonical}`,
      );
    }
    byAddress.set(canonical, peerId);
    peers.push({ id: peerId, address: peerAddress });
  }
  const self = peers.find((p) => p.id === id);
  if (self === undefined) {
    const other = byAddress.get(hostPort('--listen', listen));
    if (other !== undefined) {
      throw new UsageError(`--peers gives ${quote(other)} this node's --listen address ${listen}`);
    }
    peers.push({ id, address: listen });
  }
  const nonVoters = listItems(flags, 'non-voters');
  for (const nv of nonVoters) {
    if (nv === id)
      throw new UsageError(`--non-voters lists this node (${quote(id)}); use --no-vote`);
    const peer = peers.find((p) => p.id === nv);
    if (peer === undefined)
      throw new UsageError(`--non-voters names ${quote(nv)}, which --peers does not list`);
    peer.noVote = true;
  }
  for (const peer of peers) if (peer.id === id && options.noVote) peer.noVote = true;
  if (peers.every((p) => p.noVote === true)) {
    throw new UsageError('no member can vote: --no-vote and --non-voters cover the whole cluster');
  }
  return peers;
}

export function tlsFiles(flags: Flags): TlsFiles | undefined {
  const names = ['tls-ca', 'tls-cert', 'tls-key'] as const;
  const given = names.filter((n) => flags.has(n));
  if (given.length === 0 && !flags.has('tls-mutual') && !flags.has('tls-verify-ids')) {
    return undefined;
  }
  const missing = names.filter((n) => !flags.has(n));
  if (missing.length > 0) {
    throw new UsageError(
      `TLS needs --tls-ca, --tls-cert and --tls-key together (missing ${missing.map((n) => `--${n}`).join(', ')})`,
    );
  }
  return {
    ca: single(flags, 'tls-ca')!,
    cert: single(flags, 'tls-cert')!,
    key: single(flags, 'tls-key')!,
    mutual: flags.has('tls-mutual'),
    verifyPeerIds: verifyPeerIds(flags),
  };
}

function verifyPeerIds(flags: Flags): boolean {
  if (!flags.has('tls-verify-ids')) return false;
  if (!flags.has('tls-mutual')) {
    throw new UsageError(
      '--tls-verify-ids needs --tls-mutual (ids are read from client certificates)',
    );
  }
  return true;
}

/** The --http-token-file path; it guards the --http server, so it needs one. */
export function httpTokenFile(flags: Flags): string | undefined {
  const path = single(flags, 'http-token-file');
  if (path !== undefined && !flags.has('http')) {
    throw new UsageError('--http-token-file needs --http (it guards that server)');
  }
  return path;
}
