import type { Redis } from 'ioredis';
import type { GroupKeepAlive } from './group-types.js';
import { SubscribedGroup } from './subscribed-group.js';
import type { KvHeld, KvHolder, KvStore } from './types.js';
import { withTimeout } from './types.js';

/** Extends every key still naming owner ARGV[1] by ARGV[2] ms; answers the keys it no longer holds. */
const KEEP_ALIVE = `
local lost = {}
for _, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur and string.match(cur, '^%d+ (%S+) ') == ARGV[1] then
    redis.call('PEXPIRE', key, ARGV[2])
  else
    lost[#lost + 1] = key
  end
end
return lost`;

const REVOKE = `
for _, key in ipairs(KEYS) do
  local cur = redis.call('GET', key)
  if cur and string.match(cur, '^%d+ (%S+) ') == ARGV[1] then redis.call('DEL', key) end
end
return 0`;

/** What the Redis store lends its group side. */
export interface RedisGroupParts {
  store: KvStore;
  redis(): Promise<Redis>;
  keyspaceEvents(redis: Redis): Promise<boolean>;
  parse(raw: string | null): KvHeld | null;
  timeoutMs: number;
}

/**
 * Redis's side of an election group: the keys keep their own TTL, all under one owner
 * handle; one script per keep-alive extends every key the group holds and names those it
 * lost. One pattern subscription on the prefix follows every key (with keyspace
 * notifications on), and one MGET is the group read.
 */
export class RedisGroup extends SubscribedGroup {
  readonly kind = 'redis';

  constructor(
    private readonly parts: RedisGroupParts,
    private readonly prefix: string,
  ) {
    super(parts.store, parts.timeoutMs);
  }

  async keepAlive(lease: string, ttlMs: number, keys: readonly string[]): Promise<GroupKeepAlive> {
    // No key, nothing at the store to keep: the handle lives only here.
    if (keys.length === 0) return { alive: true, lost: [] };
    const redis = await this.parts.redis();
    const lost = (await redis.eval(
      KEEP_ALIVE,
      keys.length,
      ...keys,
      lease,
      String(Math.ceil(ttlMs)),
    )) as string[];
    return { alive: true, lost };
  }

  async revoke(lease: string, keys: readonly string[]): Promise<void> {
    if (keys.length === 0) return;
    const redis = await this.parts.redis();
    await redis.eval(REVOKE, keys.length, ...keys, lease);
  }

  async readAll(keys: readonly string[]): Promise<Map<string, KvHolder>> {
    const redis = await this.parts.redis();
    const values = await redis.mget(...keys);
    const holders = new Map<string, KvHolder>();
    values.forEach((raw, i) => {
      const held = this.parts.parse(raw);
      if (held !== null) holders.set(keys[i]!, held.holder);
    });
    return holders;
  }

  /** One pattern subscription for the whole prefix; none when the server sends no events. */
  protected async subscribe(
    deliver: (key: string) => void,
    fail: (err: unknown) => void,
  ): Promise<() => void> {
    const redis = await this.parts.redis();
    if (!(await this.parts.keyspaceEvents(redis))) return () => undefined;
    const sub = redis.duplicate({ retryStrategy: () => null, autoResubscribe: false });
    sub.on('error', () => undefined);
    sub.on('end', () => fail(new Error('redis subscription closed')));
    const channel = `__keyspace@${redis.options.db ?? 0}__:`;
    sub.on('pmessage', (_pattern: string, ch: string, event: string) => {
      // A keep-alive's PEXPIRE changes no holder: reading every key for it would make the
      // keep-alive cost a read per key.
      if (event === 'expire' || !ch.startsWith(channel)) return;
      deliver(ch.slice(channel.length));
    });
    try {
      await withTimeout(
        sub.psubscribe(`${channel}${this.prefix}*`),
        this.parts.timeoutMs,
        'redis psubscribe',
      );
    } catch (err) {
      sub.disconnect();
      throw err;
    }
    return () => sub.disconnect();
  }
}
