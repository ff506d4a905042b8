import { describe, expect, it } from 'vitest';
import { type KvNodeConfig, parseArgs } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/usage-error.js';

const KV = ['node', '--protocol', 'kv', '--id', 'n1', '--key', 'service/leader'];

function kvConfig(...extra: string[]): KvNodeConfig {
  const parsed = parseArgs([...KV, ...extra]);
  if (parsed.command !== 'node' || parsed.config.protocol !== 'kv') {
    throw new Error(`parsed as ${JSON.stringify(parsed)}`);
  }
  return parsed.config;
}

function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(argv)}`);
}

describe('parseArgs: a kv node', () => {
  it('reads the store, key and TTL', () => {
    expect(kvConfig('--store', 'etcd://127.0.0.1:2379', '--ttl', '5s')).toEqual({
      protocol: 'kv',
      id: 'n1',
      store: 'etcd://127.0.0.1:2379',
      key: 'service/leader',
      ttlMs: 5000,
      http: undefined,
      log: 'text',
    });
    expect(kvConfig('--store', 'memory').ttlMs).toBe(5000);
    expect(kvConfig('--store', 'zk://127.0.0.1:2181,127.0.0.1:2182', '--ttl', '500ms').ttlMs).toBe(
      500,
    );
    expect(kvConfig('--store', 'redis://127.0.0.1:6379/2', '--ttl', '1.5s').ttlMs).toBe(1500);
    expect(kvConfig('--store', 'postgresql://app@db.internal:5432/app?table=leader').store).toBe(
      'postgresql://app@db.internal:5432/app?table=leader',
    );
    expect(kvConfig('--store=memory', '--ttl=2500', '--http', '127.0.0.1:0').http).toBe(
      '127.0.0.1:0',
    );
  });

  it.each([
    [
      'no store',
      [...KV],
      'missing --store (etcd://HOST:PORT, zk://HOST:PORT, redis://HOST:PORT, postgres://USER@HOST:PORT/DB or memory)',
    ],
    [
      'no key',
      ['node', '--protocol', 'kv', '--id', 'a', '--store', 'memory'],
      'missing --key (the election key, like service/leader)',
    ],
    [
      'an unknown store',
      [...KV, '--store', 'consul://x:1'],
      "--store: store must be etcd://, zk://, redis://, postgres:// or memory, got 'consul://x:1'",
    ],
    [
      'a postgres URL without a database',
      [...KV, '--store', 'postgres://app@127.0.0.1:5432'],
      '--store: store postgres://app@127.0.0.1:5432: expected postgres://USER@HOST:PORT/DATABASE',
    ],
    [
      'a postgres schema that cannot be a name',
      [...KV, '--store', 'postgres://app@127.0.0.1:5432/db?schema=a-b'],
      "--store: postgres schema must be 1-63 lowercase letters, digits or _ (not starting with a digit), got 'a-b'",
    ],
    [
      'a store without a port',
      [...KV, '--store', 'etcd://127.0.0.1'],
      "--store: store etcd://127.0.0.1: '127.0.0.1' is not HOST:PORT",
    ],
    [
      'a bad duration',
      [...KV, '--store', 'memory', '--ttl', '5x'],
      "--ttl must be a duration like 5s or 500ms, got '5x'",
    ],
    [
      'a TTL too short',
      [...KV, '--store', 'memory', '--ttl', '50ms'],
      "--ttl must be between 100ms and 2147483647ms, got '50ms'",
    ],
    [
      'a key with a space',
      ['node', '--protocol', 'kv', '--id', 'a', '--store', 'memory', '--key', 'a b'],
      "--key must be 1-512 characters without spaces, like service/leader, got 'a b'",
    ],
    [
      'a peer list',
      [...KV, '--store', 'memory', '--peers', 'b=127.0.0.1:1'],
      '--peers does not apply to --protocol kv (candidates meet at the --store)',
    ],
    [
      'a raft flag',
      [...KV, '--store', 'memory', '--lease', '10'],
      '--lease does not apply to --protocol kv (candidates meet at the --store)',
    ],
    [
      'a bully flag',
      [...KV, '--store', 'memory', '--pid', '3'],
      '--pid does not apply to --protocol kv (candidates meet at the --store)',
    ],
    [
      'a bad id',
      ['node', '--protocol', 'kv', '--id', '-x', '--store', 'memory', '--key', 'k'],
      "--id: id '-x' must be 1-64 letters, digits, '.', '_' or '-', starting with a letter or digit",
    ],
    [
      'a kv flag for bully',
      ['node', '--protocol', 'bully', '--pid', '1', '--key', 'k'],
      '--key applies only to --protocol kv',
    ],
  ])('refuses %s', (_name, argv, message) => {
    expect(usageError(argv)).toBe(message);
  });
});
