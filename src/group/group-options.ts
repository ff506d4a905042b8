import type { KvGroupCapable } from '../../transports/kv/group-types.js';
import type { KvStore } from '../../transports/kv/types.js';
import type { KvElectionOptions } from '../runtime/election.js';

/** Options of `createElectionGroup({ protocol: 'kv', ... })`. */
export interface KvElectionGroupOptions
  extends Pick<
    KvElectionOptions,
    | 'ttlMs'
    | 'marginMs'
    | 'renewMs'
    | 'requestTimeoutMs'
    | 'backoffMinMs'
    | 'backoffMaxMs'
    | 'follow'
    | 'seed'
  > {
  protocol: 'kv';
  /** This process's id: the value its leaders write. */
  id: string;
  /** The key prefix: election `name` runs on the key `<key>/<name>`, like `svc/leader/shard-0`. */
  key: string;
  /** The elections' names: safe key segments (letters, digits, `_`, `-`, `.`; not starting with `.`). */
  elections: readonly string[];
  /**
   * Where the keys live; it must carry groups (every built-in store does). Default: one
   * embedded memory store shared by this process.
   */
  store?: KvStore;
  /** One keep-alive of the shared lease this often (default a third of the TTL). */
  keepaliveMs?: number;
  /**
   * The group reads every key with one request this often, to catch a change a watch
   * missed (default the TTL, at least 1000 ms). ZooKeeper and memory watches miss nothing
   * while their session lives, so they skip it.
   */
  checkMs?: number;
}

/** Most elections one group runs. */
export const MAX_GROUP_ELECTIONS = 100_000;

const NAME = /^[A-Za-z0-9_-][A-Za-z0-9_.-]{0,127}$/;

/** Whether `name` is a safe key segment for an election of a group. */
export function isElectionName(name: unknown): name is string {
  return typeof name === 'string' && NAME.test(name);
}

/** Checks what timing does not: the names, the prefix, the store. Throws a TypeError or RangeError. */
export function checkGroupOptions(options: KvElectionGroupOptions): void {
  if (options.protocol !== 'kv') {
    throw new TypeError(`election groups run protocol kv only, got ${String(options.protocol)}`);
  }
  if (typeof options.id !== 'string' || options.id.length === 0) {
    throw new TypeError('id must be a non-empty string');
  }
  if (typeof options.key !== 'string' || /^\/*$/.test(options.key)) {
    throw new TypeError('key must be a non-empty key prefix, like service/leader');
  }
  const names = options.elections;
  if (!Array.isArray(names) || names.length === 0) {
    throw new TypeError('elections must name at least one election');
  }
  if (names.length > MAX_GROUP_ELECTIONS) {
    throw new RangeError(`at most ${MAX_GROUP_ELECTIONS} elections per group, got ${names.length}`);
  }
  const seen = new Set<string>();
  for (const name of names) {
    if (!isElectionName(name)) {
      throw new TypeError(
        `election name ${JSON.stringify(name)} is not a safe key segment (1-128 letters, digits, _, - or ., not starting with .)`,
      );
    }
    if (seen.has(name)) throw new TypeError(`election name ${name} is listed twice`);
    seen.add(name);
  }
  const store = options.store as (KvStore & Partial<KvGroupCapable>) | undefined;
  if (store !== undefined && typeof store.group !== 'function') {
    throw new TypeError(
      `the ${store.kind} store cannot carry an election group (it has no group())`,
    );
  }
}

/** `svc/leader/` from `svc/leader` (or `svc/leader/`): what every election key starts with. */
export function groupPrefix(key: string): string {
  return `${key.replace(/\/+$/, '')}/`;
}
