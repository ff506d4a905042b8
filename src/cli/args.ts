import { formatHostPort, parseHostPort } from '../../transports/address.js';
import type { PeerConfig } from '../election.js';
import { DEFAULT_RAFT_TIMING, raftTiming } from '../protocols/raft.js';
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
}

export interface NodeConfig {
  protocol: 'raft';
  id: string;
  listen: string;
  /** Every member, this node included. */
  peers: PeerConfig[];
  transport: TransportName;
  http: string | undefined;
  heartbeatMs: number;
  electionTimeoutMs: [number, number];
  leaseMs: number | undefined;
  dataDir: string | undefined;
  noVote: boolean;
  tags: Record<string, string>;
  tls: TlsFiles | undefined;
  log: LogFormat;
}

export interface DemoConfig {
  nodes: number;
}

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'node'; config: NodeConfig }
  | { command: 'demo'; config: DemoConfig };

type FlagKind = 'value' | 'repeatable' | 'switch';

const NODE_FLAGS: Record<string, FlagKind> = {
  protocol: 'value',
  id: 'value',
  listen: 'value',
  peers: 'repeatable',
  transport: 'value',
  http: 'value',
  heartbeat: 'value',
  'election-timeout': 'value',
  lease: 'value',
  'data-dir': 'value',
  'no-vote': 'switch',
  'non-voters': 'repeatable',
  tag: 'repeatable',
  'tls-ca': 'value',
  'tls-cert': 'value',
  'tls-key': 'value',
  'tls-mutual': 'switch',
  log: 'value',
};

const DEMO_FLAGS: Record<string, FlagKind> = { nodes: 'value' };

/** Named by the design but not built yet: they get their own message, not "unknown". */
const PLANNED_PROTOCOLS = new Set(['bully', 'les', 'kv']);
const PLANNED_TRANSPORTS = new Set(['udp', 'http']);
const PLANNED_COMMANDS = new Set(['elect']);

// setTimeout turns anything longer into 1 ms (with only a warning).
const MAX_TIMER_MS = 2 ** 31 - 1;
const MAX_DEMO_NODES = 25;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
// Peers drop messages whose tags exceed these (see the raft message schema), so a node
// configured past them would silently never be heard.
const MAX_TAGS = 64;
const MAX_TAG_CHARS = 256;

/** Parses the command line (without the node and script paths). Throws UsageError. */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { command: 'help' };
  if (first === '--version') {
    if (rest[0] !== undefined) throw new UsageError(`unexpected argument ${quote(rest[0])}`);
    return { command: 'version' };
  }
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  switch (first) {
    case 'node':
      return { command: 'node', config: nodeConfig(readFlags('node', rest, NODE_FLAGS)) };
    case 'demo':
      return { command: 'demo', config: demoConfig(readFlags('demo', rest, DEMO_FLAGS)) };
  }
  if (PLANNED_COMMANDS.has(first)) {
    throw new UsageError(`command ${quote(first)} is not available yet`);
  }
  if (first.startsWith('-')) {
    throw new UsageError(`unknown flag ${quote(first)} (see electorate --help)`);
  }
  throw new UsageError(`unknown command ${quote(first)} (see electorate --help)`);
}

/** Flag name to the values given, in order; a switch that is present maps to ['']. */
type Flags = Map<string, string[]>;

function readFlags(
  command: string,
  args: readonly string[],
  spec: Record<string, FlagKind>,
): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      const what = arg.startsWith('-') && arg !== '-' ? 'flag' : 'argument';
      throw new UsageError(
        what === 'flag'
          ? `unknown flag ${quote(arg)} for '${command}' (see electorate --help)`
          : `unexpected argument ${quote(arg)}`,
      );
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      throw new UsageError(
        `unknown flag ${quote(`--${name}`)} for '${command}' (see electorate --help)`,
      );
    }
    let value: string;
    if (kind === 'switch') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      value = '';
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (kind !== 'switch' && value === '') throw new UsageError(`--${name} needs a value`);
    const seen = flags.get(name);
    if (seen === undefined) flags.set(name, [value]);
    else if (kind === 'repeatable') seen.push(value);
    else throw new UsageError(`--${name} is given more than once`);
  }
  return flags;
}

function single(flags: Flags, name: string): string | undefined {
  return flags.get(name)?.[0];
}

function required(flags: Flags, name: string, what: string): string {
  const value = single(flags, name);
  if (value === undefined) throw new UsageError(`missing --${name} ${what}`);
  return value;
}

/** Comma lists may be split over repeated flags; empty items are mistakes, not padding. */
function listItems(flags: Flags, name: string): string[] {
  const items: string[] = [];
  for (const value of flags.get(name) ?? []) {
    for (const item of value.split(',')) {
      const trimmed = item.trim();
      if (trimmed === '') throw new UsageError(`--${name} has an empty entry in ${quote(value)}`);
      items.push(trimmed);
    }
  }
  return items;
}

function wholeNumber(flag: string, text: string, max: number, unit: string): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new UsageError(`--${flag} must be a whole number${unit}, got ${quote(text)}`);
  }
  const value = Number(text);
  if (value < 1 || value > max) {
    throw new UsageError(`--${flag} must be between 1 and ${max}${unit}, got ${quote(text)}`);
  }
  return value;
}

function milliseconds(flag: string, text: string): number {
  return wholeNumber(flag, text, MAX_TIMER_MS, ' of milliseconds');
}

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

/** Checks HOST:PORT and returns a canonical form for comparing addresses. */
function address(flag: string, text: string): string {
  try {
    const parsed = parseHostPort(text);
    return formatHostPort({ host: parsed.host.toLowerCase(), port: parsed.port });
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

function memberId(flag: string, text: string): string {
  if (!ID_PATTERN.test(text)) {
    throw new UsageError(
      `${flag}: id ${quote(text)} must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit`,
    );
  }
  return text;
}

function oneOf<T extends string>(
  flag: string,
  text: string,
  allowed: readonly T[],
  planned: Set<string>,
  noun: string,
): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  if (planned.has(text)) throw new UsageError(`${noun} ${quote(text)} is not available yet`);
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${quote(text)}`);
}

function peerList(flags: Flags, id: string, listen: string, noVote: boolean): PeerConfig[] {
  const peers: PeerConfig[] = [];
  const byAddress = new Map<string, string>();
  for (const entry of listItems(flags, 'peers')) {
    const eq = entry.indexOf('=');
    if (eq < 0) throw new UsageError(`--peers entry ${quote(entry)} must be ID=HOST:PORT`);
    const peerId = memberId('--peers', entry.slice(0, eq));
    const peerAddress = entry.slice(eq + 1);
    const canonical = address(`--peers entry for ${peerId}`, peerAddress);
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
    const other = byAddress.get(address('--listen', listen));
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
  for (const peer of peers) if (peer.id === id && noVote) peer.noVote = true;
  if (peers.every((p) => p.noVote === true)) {
    throw new UsageError('no member can vote: --no-vote and --non-voters cover the whole cluster');
  }
  return peers;
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

function tlsFiles(flags: Flags): TlsFiles | undefined {
  const names = ['tls-ca', 'tls-cert', 'tls-key'] as const;
  const given = names.filter((n) => flags.has(n));
  if (given.length === 0 && !flags.has('tls-mutual')) return undefined;
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
  };
}

function nodeConfig(flags: Flags): NodeConfig {
  const protocol = oneOf(
    'protocol',
    required(flags, 'protocol', '(raft)'),
    ['raft'] as const,
    PLANNED_PROTOCOLS,
    'protocol',
  );
  const id = memberId('--id', required(flags, 'id', 'ID'));
  const listen = required(flags, 'listen', 'HOST:PORT');
  const listenAt = address('--listen', listen);
  if (!flags.has('peers')) throw new UsageError('missing --peers ID=HOST:PORT,...');
  const transport = oneOf(
    'transport',
    single(flags, 'transport') ?? 'tcp',
    ['tcp', 'ws'] as const,
    PLANNED_TRANSPORTS,
    'transport',
  );
  const http = single(flags, 'http');
  if (http !== undefined && address('--http', http) === listenAt) {
    throw new UsageError(`--http and --listen cannot both be ${listenAt}`);
  }
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
  if (heartbeatMs >= minTimeout) {
    throw new UsageError(
      `--heartbeat (${heartbeatMs}) must be below the minimum election timeout (${minTimeout})`,
    );
  }
  const leaseText = single(flags, 'lease');
  const leaseMs = leaseText === undefined ? undefined : milliseconds('lease', leaseText);
  if (leaseMs !== undefined && leaseMs >= minTimeout) {
    throw new UsageError(
      `--lease (${leaseMs}) must be below the minimum election timeout (${minTimeout})`,
    );
  }
  try {
    raftTiming({ heartbeatMs, electionTimeoutMs, leaseMs });
  } catch (err) {
    // The checks above should have caught it; this keeps the CLI and the library in step.
    throw new UsageError(`bad timing: ${(err as Error).message}`);
  }
  const noVote = flags.has('no-vote');
  const log = oneOf(
    'log',
    single(flags, 'log') ?? 'text',
    ['text', 'json', 'none'] as const,
    new Set(),
    'log format',
  );
  return {
    protocol,
    id,
    listen,
    peers: peerList(flags, id, listen, noVote),
    transport,
    http,
    heartbeatMs,
    electionTimeoutMs,
    leaseMs,
    dataDir: single(flags, 'data-dir'),
    noVote,
    tags: tagMap(flags),
    tls: tlsFiles(flags),
    log,
  };
}

function demoConfig(flags: Flags): DemoConfig {
  const nodesText = single(flags, 'nodes');
  return {
    nodes: nodesText === undefined ? 3 : wholeNumber('nodes', nodesText, MAX_DEMO_NODES, ''),
  };
}
