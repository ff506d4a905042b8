import { randomBytes } from 'node:crypto';
import type { Redis, RedisOptions } from 'ioredis';
import type { KvGroupCapable, KvGroupStore } from './group-types.js';
import { RedisGroup } from './redis-group.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
  WatchOptions,
} from './types.js';
import { loadClient, withTimeout } from './types.js';
import { WatchFeed } from './watch-feed.js';

/** Options of `redisStore`. */
export interface RedisStoreOptions {
  /** `redis://[user:pass@]host:port[/db]` (or `rediss://`). */
  url: string;
  /** Deadline of each command (default 2000 ms). */
  timeoutMs?: number;
  /** How often a watch reads the key when keyspace notifications are off (default 100 ms). */
  pollMs?: number;
  /** More options for the ioredis client. */
  client?: RedisOptions;
}

type IoRedisModule = { Redis: new (url: string, options: RedisOptions) => Redis };

// The key holds "TOKEN OWNER VALUE": the owner check and the token travel with the key.
const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local owner = string.match(cur, '^%d+ (%S+) ')
  if owner == ARGV[2] then
    redis.call('PEXPIRE', KEYS[1], ARGV[3])
    return {1, cur}
  end
  return {0, cur}
end
local token = redis.call('INCR', KEYS[2])
local held = token .. ' ' .. ARGV[2] .. ' ' .. ARGV[1]
redis.call('SET', KEYS[1], held, 'NX', 'PX', ARGV[3])
return {1, held}`;

const RENEW = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^%d+ (%S+) ') == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`;

const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if cur and string.match(cur, '^%d+ (%S+) ') == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0`;

function parse(raw: string | null): KvHeld | null {
  if (raw === null) return null;
  const m = /^(\d+) (\S+) ([\s\S]*)$/.exec(raw);
  if (m === null) return null;
  return { holder: { value: m[3]!, token: Number(m[1]) }, owner: m[2]! };
}

/**
 * Redis through the npm package `ioredis`, loaded when first needed. Acquiring is
 * `SET key value NX PX ttl` in a script that first takes the fencing token from `INCR`
 * on `<key>:fencing`; renewing and releasing are scripts that act only if the key still
 * names this owner. Watches follow keyspace notifications when the server sends them
 * (`notify-keyspace-events` with K, g, $ and x) and poll otherwise.
 *
 * Run Redis with `appendonly yes` and `appendfsync always`: a server that restarts without
 * the key and the counter would let a second leader in while the first still holds a lease,
 * and would hand out fencing tokens again from 1.
 */
export class RedisStore implements KvStore, KvGroupCapable {
  readonly kind = 'redis';
  private client: Promise<Redis> | undefined;
  private notifications: Promise<boolean> | undefined;
  private readonly timeoutMs: number;

  constructor(private readonly options: RedisStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async connect(): Promise<void> {
    await (await this.redis()).ping();
  }

  async acquire({ key, value, ttlMs, owner }: AcquireRequest): Promise<AcquireResult> {
    const redis = await this.redis();
    const mine = owner ?? randomBytes(12).toString('hex');
    const [won, raw] = (await redis.eval(
      ACQUIRE,
      2,
      key,
      `${key}:fencing`,
      value,
      mine,
      String(Math.ceil(ttlMs)),
    )) as [number, string];
    const held = parse(raw);
    if (held === null) throw new Error(`redis key ${key} holds something other than a lease`);
    if (won === 1) return { acquired: true, owner: mine, token: held.holder.token };
    return { acquired: false, holder: held.holder };
  }

  async renew({ key, owner, ttlMs }: { key: string; owner: string; ttlMs: number }) {
    const redis = await this.redis();
    return (await redis.eval(RENEW, 1, key, owner, String(Math.ceil(ttlMs)))) === 1;
  }

  async release({ key, owner }: { key: string; owner: string }): Promise<void> {
    const redis = await this.redis();
    await redis.eval(RELEASE, 1, key, owner);
  }

  async read(key: string): Promise<KvHolder | null> {
    const redis = await this.redis();
    return parse(await redis.get(key))?.holder ?? null;
  }

  async inspect(key: string): Promise<KvHeld | null> {
    const redis = await this.redis();
    return parse(await redis.get(key));
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, options: WatchOptions = {}) {
    const feed = new WatchFeed(listener, () => this.read(key), this.timeoutMs);
    (async () => {
      const redis = await this.redis();
      if (await this.keyspaceEvents(redis)) {
        // A broken subscription ends the watch (the election watches again) rather than
        // reconnecting and resubscribing behind its back.
        const sub = redis.duplicate({ retryStrategy: () => null, autoResubscribe: false });
        feed.onEnd(() => sub.disconnect());
        sub.on('error', () => undefined);
        sub.on('end', () => feed.fail(new Error('redis subscription closed')));
        const db = redis.options.db ?? 0;
        const channel = `__keyspace@${db}__:${key}`;
        sub.on('message', (ch: string) => {
          if (ch === channel) void feed.check();
        });
        await withTimeout(sub.subscribe(channel), this.timeoutMs, 'redis subscribe');
        await feed.check();
        feed.every(options.checkMs);
      } else {
        await feed.check();
        feed.every(this.options.pollMs ?? 100);
      }
    })().catch((err) => feed.fail(err));
    return () => feed.end();
  }

  /** The side an election group uses: one renewal script for every key under `prefix`. */
  group(prefix: string): KvGroupStore {
    return new RedisGroup(
      {
        store: this,
        redis: () => this.redis(),
        keyspaceEvents: (redis) => this.keyspaceEvents(redis),
        parse,
        timeoutMs: this.timeoutMs,
      },
      prefix,
    );
  }

  async close(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    this.notifications = undefined;
    if (client !== undefined) (await client.catch(() => undefined))?.disconnect();
  }

  private redis(): Promise<Redis> {
    this.client ??= loadClient<IoRedisModule>('ioredis', 'redis').then((mod) => {
      const client = new mod.Redis(this.options.url, {
        commandTimeout: this.timeoutMs,
        connectTimeout: this.timeoutMs,
        maxRetriesPerRequest: 1,
        retryStrategy: (times: number) => Math.min(50 * times, 500),
        ...this.options.client,
      });
      // Connection trouble reaches the election as failed commands; ioredis would also
      // print every reconnect failure to stderr without a listener.
      client.on('error', () => undefined);
      return client;
    });
    return this.client;
  }

  /** Whether the server publishes the set, del and expired events of keys. */
  private keyspaceEvents(redis: Redis): Promise<boolean> {
    this.notifications ??= (async () => {
      try {
        const reply = (await redis.config('GET', 'notify-keyspace-events')) as string[];
        const flags = reply[1] ?? '';
        return (
          flags.includes('K') &&
          (flags.includes('A') || ['g', '$', 'x'].every((f) => flags.includes(f)))
        );
      } catch (err) {
        // CONFIG may be refused (managed services): poll. Any other failure is asked again.
        if (/^(ERR|NOPERM)/.test((err as Error).message)) return false;
        this.notifications = undefined;
        throw err;
      }
    })();
    return this.notifications;
  }
}

/** Redis as the election's store (npm package `ioredis`). */
export function redisStore(options: RedisStoreOptions): RedisStore {
  return new RedisStore(options);
}
