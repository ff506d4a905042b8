import { etcdStore } from './etcd-store.js';
import { memoryStore } from './memory-store.js';
import { postgresStore } from './postgres-store.js';
import { redisStore } from './redis-store.js';
import type { KvStore } from './types.js';
import { zookeeperStore } from './zookeeper-store.js';

const SCHEMES = 'etcd://, zk://, redis://, postgres:// or memory';

/** Options of `storeFromUrl`. */
export interface StoreUrlOptions {
  /** Deadline of each store call (default 2000 ms). */
  timeoutMs?: number;
}

/**
 * A store from a URL: `etcd://host:port[,host:port…]`, `zk://host:port[,…]`,
 * `redis://[user:pass@]host:port[/db]`, `postgres://user[:pass]@host:port/db[?schema=S&table=T]`,
 * or `memory` (this process only).
 */
export function storeFromUrl(url: string, options: StoreUrlOptions = {}): KvStore {
  const { scheme, rest } = checkStoreUrl(url);
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  switch (scheme) {
    case 'memory':
      return memoryStore();
    case 'etcd':
      return etcdStore({ hosts: hostList(url, rest), ...timeout });
    case 'zk':
      return zookeeperStore({ connect: hostList(url, rest).join(','), ...timeout });
    case 'redis':
      return redisStore({ url, ...timeout });
    case 'postgres':
      return postgresStore({ ...postgresUrl(url), ...timeout });
  }
}

/** The connection string without electorate's own parameters, and those parameters. */
function postgresUrl(url: string): { url: string; schema?: string; table?: string } {
  const parsed = new URL(url);
  const schema = parsed.searchParams.get('schema');
  const table = parsed.searchParams.get('table');
  parsed.searchParams.delete('schema');
  parsed.searchParams.delete('table');
  return {
    url: parsed.toString(),
    ...(schema === null ? {} : { schema }),
    ...(table === null ? {} : { table }),
  };
}

/** Checks a store URL without connecting; throws a RangeError naming what is wrong. */
export function checkStoreUrl(url: string): {
  scheme: 'memory' | 'etcd' | 'zk' | 'redis' | 'postgres';
  rest: string;
} {
  if (url === 'memory' || url === 'memory://') return { scheme: 'memory', rest: '' };
  const match = /^([a-z0-9+]+):\/\/(.+)$/i.exec(url);
  if (match === null) {
    throw new RangeError(`store must be ${SCHEMES}, got '${url}'`);
  }
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  switch (scheme) {
    case 'etcd':
      hostList(url, rest);
      return { scheme: 'etcd', rest };
    case 'zk':
    case 'zookeeper':
      hostList(url, rest);
      return { scheme: 'zk', rest };
    case 'redis':
    case 'rediss':
      try {
        new URL(url);
      } catch {
        throw new RangeError(`store ${url} is not a valid redis URL`);
      }
      return { scheme: 'redis', rest };
    case 'postgres':
    case 'postgresql': {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new RangeError(`store ${url} is not a valid postgres URL`);
      }
      if (parsed.hostname === '' || parsed.pathname.replace(/^\/+/, '') === '') {
        throw new RangeError(`store ${url}: expected postgres://USER@HOST:PORT/DATABASE`);
      }
      const { schema, table } = postgresUrl(url);
      // The same rules the store applies, so a bad name is refused before any connection.
      postgresStore({
        url,
        ...(schema === undefined ? {} : { schema }),
        ...(table === undefined ? {} : { table }),
      });
      return { scheme: 'postgres', rest };
    }
    default:
      throw new RangeError(`store must be ${SCHEMES}, got '${url}'`);
  }
}

function hostList(url: string, rest: string): string[] {
  const hosts = rest.replace(/\/+$/, '').split(',');
  for (const h of hosts) {
    if (!/^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(h) && !/^\[[0-9a-fA-F:]+\]:[0-9]{1,5}$/.test(h)) {
      throw new RangeError(`store ${url}: '${h}' is not HOST:PORT`);
    }
  }
  return hosts;
}
