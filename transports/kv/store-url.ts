import { etcdStore } from './etcd-store.js';
import { memoryStore } from './memory-store.js';
import { redisStore } from './redis-store.js';
import type { KvStore } from './types.js';
import { zookeeperStore } from './zookeeper-store.js';

export interface StoreUrlOptions {
  /** Deadline of each store call (default 2000 ms). */
  timeoutMs?: number;
}

/**
 * A store from a URL: `etcd://host:port[,host:port…]`, `zk://host:port[,…]`,
 * `redis://[user:pass@]host:port[/db]`, or `memory` (this process only).
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
  }
}

/** Checks a store URL without connecting; throws a RangeError naming what is wrong. */
export function checkStoreUrl(url: string): {
  scheme: 'memory' | 'etcd' | 'zk' | 'redis';
  rest: string;
} {
  if (url === 'memory' || url === 'memory://') return { scheme: 'memory', rest: '' };
  const match = /^([a-z0-9+]+):\/\/(.+)$/i.exec(url);
  if (match === null) {
    throw new RangeError(`store must be etcd://, zk://, redis:// or memory, got '${url}'`);
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
    default:
      throw new RangeError(`store must be etcd://, zk://, redis:// or memory, got '${url}'`);
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
