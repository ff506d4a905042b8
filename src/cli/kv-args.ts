import { DEFAULT_KV_TTL_MS, kvTiming } from '../../machines/kv/definition.js';
import { checkStoreUrl } from '../../transports/kv/store-url.js';
import { durationMs } from '../kv/duration.js';
import {
  type Flags,
  listItems,
  MAX_TIMER_MS,
  memberId,
  refuseFlags,
  required,
  single,
} from './flags.js';
import { groupNames } from './kv-group-args.js';
import {
  BULLY_ONLY_FLAGS,
  httpTokenFile,
  LES_ONLY_FLAGS,
  type LogFormat,
  logFormat,
  RAFT_ONLY_FLAGS,
  STREAM_FLAGS,
} from './node-flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export interface KvNodeConfig {
  protocol: 'kv';
  id: string;
  /** etcd://…, zk://…, redis://…, postgres://… or memory. */
  store: string;
  key: string;
  ttlMs: number;
  /** --elections or --shards: run an election group of these names on `<key>/<name>`. */
  elections: string[] | undefined;
  http: string | undefined;
  /** Where the diag server's bearer token is kept (--http-token-file). */
  httpTokenFile: string | undefined;
  log: LogFormat;
}

const MAX_KEY_CHARS = 512;

function storeUrl(text: string): string {
  try {
    checkStoreUrl(text);
  } catch (err) {
    throw new UsageError(`--store: ${(err as Error).message}`);
  }
  return text;
}

function key(text: string): string {
  if (text.length > MAX_KEY_CHARS || /[\s\p{Cc}]/u.test(text) || /^\/*$/.test(text)) {
    throw new UsageError(
      `--key must be 1-${MAX_KEY_CHARS} characters without spaces, like service/leader, got ${quote(text)}`,
    );
  }
  return text;
}

/** --ttl as milliseconds, checked against the timing rules. */
export function ttl(text: string | undefined): number {
  if (text === undefined) return DEFAULT_KV_TTL_MS;
  let ms: number;
  try {
    ms = durationMs('--ttl', /^[0-9]+$/.test(text) ? `${text}ms` : text);
  } catch {
    throw new UsageError(`--ttl must be a duration like 5s or 500ms, got ${quote(text)}`);
  }
  if (ms < 100 || ms > MAX_TIMER_MS) {
    throw new UsageError(`--ttl must be between 100ms and ${MAX_TIMER_MS}ms, got ${quote(text)}`);
  }
  kvTiming({ key: 'k', ttlMs: ms });
  return ms;
}

/** `electorate node --protocol kv …`: one candidate for a key on a store. */
export function kvNodeConfig(flags: Flags): KvNodeConfig {
  const notHere = 'does not apply to --protocol kv (candidates meet at the --store)';
  refuseFlags(flags, [...STREAM_FLAGS, 'transport'], notHere);
  refuseFlags(flags, Object.keys(RAFT_ONLY_FLAGS), notHere);
  refuseFlags(
    flags,
    Object.keys(BULLY_ONLY_FLAGS).filter((f) => f !== 'ttl'),
    notHere,
  );
  refuseFlags(flags, Object.keys(LES_ONLY_FLAGS), notHere);
  return {
    protocol: 'kv',
    id: memberId('--id', required(flags, 'id', '(this candidate’s name)')),
    store: storeUrl(
      required(
        flags,
        'store',
        '(etcd://HOST:PORT, zk://HOST:PORT, redis://HOST:PORT, postgres://USER@HOST:PORT/DB or memory)',
      ),
    ),
    key: key(required(flags, 'key', '(the election key, like service/leader)')),
    ttlMs: ttl(single(flags, 'ttl')),
    elections: groupNames(
      flags.has('elections') ? listItems(flags, 'elections').join(',') : undefined,
      single(flags, 'shards'),
    ),
    http: single(flags, 'http'),
    httpTokenFile: httpTokenFile(flags),
    log: logFormat(flags),
  };
}
