import { DEFAULT_MAX_MEMBERS } from '../../machines/les/machine.js';
import { allowsMember, hostOf, isLesAddress, isMemberRule } from '../../machines/les/messages.js';
import { formatHostPort } from '../../transports/address.js';
import {
  type Flags,
  hostPort,
  listItems,
  oneOf,
  refuseFlags,
  required,
  single,
  wholeNumber,
} from './flags.js';
import { isLoopback } from './loopback.js';
import {
  BULLY_ONLY_FLAGS,
  GROUP_FLAGS,
  httpTokenFile,
  KV_EXCLUSIVE_FLAGS,
  type LogFormat,
  logFormat,
  RAFT_ONLY_FLAGS,
} from './node-flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export interface LesNodeConfig {
  protocol: 'les';
  /** The advertised address, which is also the node's id. */
  id: string;
  /** Where to serve, one HOST:PORT per address family. */
  listen: string[];
  seeds: string[];
  loopMs: number;
  allowMembers: string[];
  maxMembers: number;
  push: boolean;
  alone: boolean;
  http: string | undefined;
  /** Where the diag server's bearer token is kept (--http-token-file). */
  httpTokenFile: string | undefined;
  log: LogFormat;
}

const DEFAULT_BIND_PORT = 4000;
const MAX_LOOP_SECONDS = 3600;
const MIN_LOOP_MS = 10;
const MAX_MEMBERS_LIMIT = 10_000;
// Common node flags with no meaning here: LES learns its members from --seeds.
const NOT_FOR_LES = ['id', 'listen', 'peers', 'tls-ca', 'tls-cert', 'tls-key', 'tls-mutual'];

function address(flag: string, text: string): string {
  if (!isLesAddress(text)) {
    throw new UsageError(
      `--${flag} must be HOST:PORT (a host name or IP, [IPv6] in brackets, port 1-65535), got ${quote(text)}`,
    );
  }
  return text;
}

/** --loop-rate in seconds, as milliseconds. */
export function loopRate(text: string): number {
  if (!/^[0-9]+(\.[0-9]+)?$/.test(text)) {
    throw new UsageError(`--loop-rate must be a number of seconds, got ${quote(text)}`);
  }
  const seconds = Number(text);
  if (seconds * 1000 < MIN_LOOP_MS || seconds > MAX_LOOP_SECONDS) {
    throw new UsageError(
      `--loop-rate must be between ${MIN_LOOP_MS / 1000} and ${MAX_LOOP_SECONDS} seconds, got ${quote(text)}`,
    );
  }
  return Math.round(seconds * 1000);
}

/**
 * Where to listen. Without --bind-interface, a node advertised on a loopback name listens
 * on both loopback addresses, so `localhost` reaches it whether it resolves to 127.0.0.1
 * or ::1; any other node listens on every interface, as the reference does.
 */
function listenAddresses(flags: Flags, advertised: string): string[] {
  const portText = single(flags, 'bind-port');
  const port =
    portText === undefined ? DEFAULT_BIND_PORT : wholeNumber('bind-port', portText, 65535, '');
  const iface = single(flags, 'bind-interface');
  if (iface !== undefined) {
    const host = iface.startsWith('[') && iface.endsWith(']') ? iface.slice(1, -1) : iface;
    const listen = formatHostPort({ host, port });
    hostPort('--bind-interface', listen);
    return [listen];
  }
  if (isLoopback(hostOf(advertised))) return [`127.0.0.1:${port}`, `[::1]:${port}`];
  return [`0.0.0.0:${port}`];
}

export function lesNodeConfig(flags: Flags): LesNodeConfig {
  refuseFlags(flags, Object.keys(GROUP_FLAGS), 'does not apply to --protocol les');
  refuseFlags(flags, KV_EXCLUSIVE_FLAGS, 'applies only to --protocol kv');
  refuseFlags(flags, Object.keys(RAFT_ONLY_FLAGS), 'does not apply to --protocol les');
  refuseFlags(flags, Object.keys(BULLY_ONLY_FLAGS), 'does not apply to --protocol les');
  refuseFlags(
    flags,
    NOT_FOR_LES,
    'does not apply to --protocol les (use --advertise-addr, --bind-port and --seeds)',
  );
  const transport = single(flags, 'transport');
  if (transport !== undefined) {
    oneOf('transport', transport, ['http'] as const, new Set(), 'transport');
  }
  if (flags.has('push') && flags.has('no-push')) {
    throw new UsageError('--push and --no-push cannot both be given');
  }
  const id = address(
    'advertise-addr',
    required(flags, 'advertise-addr', 'HOST:PORT (where other members reach this node)'),
  );
  if (!flags.has('seeds')) throw new UsageError('missing --seeds HOST:PORT,...');
  const seeds = [...new Set(listItems(flags, 'seeds').map((s) => address('seeds', s)))];
  const allowMembers = listItems(flags, 'allow-members');
  for (const rule of allowMembers) {
    if (!isMemberRule(rule)) {
      throw new UsageError(
        `--allow-members entries must be host names, IP addresses or CIDR networks, each with an optional :PORT, got ${quote(rule)}`,
      );
    }
  }
  for (const member of [id, ...seeds]) {
    if (allowMembers.length > 0 && !allowsMember(allowMembers, member)) {
      const what = member === id ? '--advertise-addr' : 'seed';
      throw new UsageError(`--allow-members does not allow the ${what} ${quote(member)}`);
    }
  }
  const maxText = single(flags, 'max-members');
  const maxMembers =
    maxText === undefined
      ? DEFAULT_MAX_MEMBERS
      : wholeNumber('max-members', maxText, MAX_MEMBERS_LIMIT, '');
  const loopText = single(flags, 'loop-rate');
  const listen = listenAddresses(flags, id);
  const http = single(flags, 'http');
  if (http !== undefined) {
    const httpAt = hostPort('--http', http);
    if (listen.some((at) => hostPort('--bind-port', at) === httpAt)) {
      throw new UsageError(`--http and the LES port cannot both be ${httpAt}`);
    }
  }
  return {
    protocol: 'les',
    id,
    listen,
    seeds,
    loopMs: loopText === undefined ? 1000 : loopRate(loopText),
    allowMembers,
    maxMembers,
    push: !flags.has('no-push'),
    alone: flags.has('alone'),
    http,
    httpTokenFile: httpTokenFile(flags),
    log: logFormat(flags),
  };
}
