import { DEFAULT_RAFT_TIMING, raftTiming } from '../../machines/raft/definition.js';
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
} from './flags.js';
import {
  BULLY_ONLY_FLAGS,
  httpTokenFile,
  KV_EXCLUSIVE_FLAGS,
  LES_ONLY_FLAGS,
  type LogFormat,
  logFormat,
  peerList,
  SECRET_FLAGS,
  type SecretSource,
  secretSource,
  type TlsFiles,
  type TransportName,
  tlsFiles,
} from './node-flags.js';
import { quote } from './quote.js';
import { groupElections } from './raft-group-args.js';
import { UsageError } from './usage-error.js';

export interface RaftNodeConfig {
  protocol: 'raft';
  id: string;
  listen: string;
  /** Every member, this node included. */
  peers: PeerConfig[];
  transport: TransportName;
  http: string | undefined;
  /** Where the diag server's bearer token is kept (--http-token-file). */
  httpTokenFile: string | undefined;
  heartbeatMs: number;
  electionTimeoutMs: [number, number];
  leaseMs: number | undefined;
  dataDir: string | undefined;
  noVote: boolean;
  tags: Record<string, string>;
  tls: TlsFiles | undefined;
  /** Authenticates every connection between members (--secret, --secret-file). */
  auth: SecretSource;
  log: LogFormat;
  /** Run these elections as one group over one connection per peer (--elections, --shards). */
  elections?: string[];
  /** Spread the group's leaders over the members alive (--spread). */
  spread?: boolean;
}

const PLANNED_TRANSPORTS = new Set(['http']);
// Peers drop messages whose tags exceed these (see the raft message schema), so a node
// configured past them would silently never be heard.
const MAX_TAGS = 64;
const MAX_TAG_CHARS = 256;

function timeoutRange(text: string): [number, number] {
  const match = /^([^-]+)-([^-]+)$/.exec(text);
  if (match === null) {
    throw new UsageError(`--election-timeout must be MIN-MAX in milliseconds, got ${quote(text)}`);
  }
  const min = milliseconds('election-timeout', match[1]!);
  const max = milliseconds('election-timeout', match[2]!);
  if (min > max) {
    throw new UsageError(`--election-timeout minimum (${min}) is above its maximum (${max})`);
  }
  return [min, max];
}

function tagMap(flags: Flags): Record<string, string> {
  const tags: Record<string, string> = {};
  const given = flags.get('tag') ?? [];
  if (given.length > MAX_TAGS) throw new UsageError(`--tag may be given at most ${MAX_TAGS} times`);
  for (const tag of given) {
    const eq = tag.indexOf('=');
    if (eq <= 0) throw new UsageError(`--tag must be KEY=VALUE, got ${quote(tag)}`);
    const key = tag.slice(0, eq);
    const value = tag.slice(eq + 1);
    if (key.length > MAX_TAG_CHARS || value.length > MAX_TAG_CHARS) {
      throw new UsageError(`--tag keys and values are limited to ${MAX_TAG_CHARS} characters`);
    }
    if (Object.hasOwn(tags, key))
      throw new UsageError(`--tag ${quote(key)} is given more than once`);
    tags[key] = value;
  }
  return tags;
}

function raftTransport(text: string): TransportName {
  // Raft addresses each message to one peer; a multicast group cannot.
  if (text === 'udp') throw new UsageError('--transport udp works only with --protocol bully');
  return oneOf('transport', text, ['tcp', 'ws'] as const, PLANNED_TRANSPORTS, 'transport');
}

/** --heartbeat, --election-timeout and --lease, checked against the timing rules. */
export function raftTimingFlags(flags: Flags): {
  heartbeatMs: number;
  electionTimeoutMs: [number, number];
  leaseMs: number | undefined;
} {
  const heartbeatText = single(flags, 'heartbeat');
  const heartbeatMs =
    heartbeatText === undefined
      ? DEFAULT_RAFT_TIMING.heartbeatMs
      : milliseconds('heartbeat', heartbeatText);
  const timeoutText = single(flags, 'election-timeout');
  const electionTimeoutMs: [number, number] =
    timeoutText === undefined
      ? [...DEFAULT_RAFT_TIMING.electionTimeoutMs]
      : timeoutRange(timeoutText);
  const [minTimeout] = electionTimeoutMs;
  if (heartbeatMs * 3 > minTimeout) {
    throw new UsageError(
      `--heartbeat (${heartbeatMs}) must be at most a third of the minimum election timeout (${minTimeout}): a follower must miss three heartbeats before it stands`,
    );
  }
  const leaseText = single(flags, 'lease');
  const leaseMs = leaseText === undefined ? undefined : milliseconds('lease', leaseText);
  if (leaseMs !== undefined && leaseMs >= minTimeout) {
    throw new UsageError(
      `--lease (${leaseMs}) must be below the minimum election timeout (${minTimeout})`,
    );
  }
  if (leaseMs !== undefined && leaseMs <= heartbeatMs) {
    throw new UsageError(
      `--lease (${leaseMs}) must be longer than --heartbeat (${heartbeatMs}): each heartbeat round renews the lease`,
    );
  }
  try {
    raftTiming({ heartbeatMs, electionTimeoutMs, leaseMs });
  } catch (err) {
    // The checks above should have caught it; this keeps the CLI and the library in step.
    throw new UsageError(`bad timing: ${(err as Error).message}`);
  }
  return { heartbeatMs, electionTimeoutMs, leaseMs };
}

export function raftNodeConfig(flags: Flags): RaftNodeConfig {
  refuseFlags(flags, KV_EXCLUSIVE_FLAGS, 'applies only to --protocol kv');
  refuseFlags(flags, Object.keys(LES_ONLY_FLAGS), 'applies only to --protocol les');
  refuseFlags(
    flags,
    Object.keys(BULLY_ONLY_FLAGS).filter((f) => !SECRET_FLAGS.includes(f)),
    'does not apply to --protocol raft',
  );
  const id = memberId('--id', required(flags, 'id', 'ID'));
  const listen = required(flags, 'listen', 'HOST:PORT');
  const listenAt = hostPort('--listen', listen);
  if (!flags.has('peers')) throw new UsageError('missing --peers ID=HOST:PORT,...');
  const transport = raftTransport(single(flags, 'transport') ?? 'tcp');
  const http = single(flags, 'http');
  if (http !== undefined && hostPort('--http', http) === listenAt) {
    throw new UsageError(`--http and --listen cannot both be ${listenAt}`);
  }
  const { heartbeatMs, electionTimeoutMs, leaseMs } = raftTimingFlags(flags);
  const noVote = flags.has('no-vote');
  const log = logFormat(flags);
  const elections = groupElections(flags);
  if (elections === undefined && flags.has('spread')) {
    throw new UsageError('--spread applies only with --elections or --shards');
  }
  return {
    protocol: 'raft',
    id,
    listen,
    peers: peerList(flags, id, listen, { noVote }),
    transport,
    http,
    httpTokenFile: httpTokenFile(flags),
    heartbeatMs,
    electionTimeoutMs,
    leaseMs,
    dataDir: single(flags, 'data-dir'),
    noVote,
    tags: tagMap(flags),
    tls: tlsFiles(flags),
    auth: secretSource(flags),
    log,
    ...(elections === undefined ? {} : { elections, spread: flags.has('spread') }),
  };
}
