import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { kvGroupElection } from '../../src/cli/kv-group-election.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { diagDocument } from '../../src/diag/diag-server.js';
import { waitFor } from '../integration/wait-for.js';

const KV = ['node', '--protocol', 'kv', '--id', 'n1', '--key', 'svc/leader', '--store', 'memory'];

function config(...extra: string[]) {
  const parsed = parseArgs([...KV, ...extra]);
  if (parsed.command !== 'node' || parsed.config.protocol !== 'kv') throw new Error('not kv');
  return parsed.config;
}

function usageError(...extra: string[]): string {
  try {
    parseArgs([...KV, ...extra]);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).not.toContain('\n');
    return (err as Error).message;
  }
  throw new Error('expected a UsageError');
}

describe('electorate node --protocol kv with a group', () => {
  it('reads --elections and --shards', () => {
    expect(config('--elections', 'a,b,c').elections).toEqual(['a', 'b', 'c']);
    expect(config('--shards', '3').elections).toEqual(['shard-0', 'shard-1', 'shard-2']);
    expect(config().elections).toBeUndefined();
  });

  it('refuses bad names, duplicates, bad counts and both flags in one clear line', () => {
    expect(usageError('--elections', 'a,,b')).toMatch(/--elections has an empty entry/);
    expect(usageError('--elections', 'a/b')).toMatch(/--elections takes names/);
    expect(usageError('--elections', '..')).toMatch(/--elections takes names/);
    expect(usageError('--elections', 'a,a')).toMatch(/twice/);
    expect(usageError('--shards', '0')).toMatch(/--shards must be a whole number/);
    expect(usageError('--shards', 'x')).toMatch(/--shards must be a whole number/);
    expect(usageError('--shards', '2', '--elections', 'a')).toMatch(/together/);
  });

  it('shows the group in /diag beside the fields every node has', async () => {
    const election = kvGroupElection(config('--shards', '3'), ['shard-0', 'shard-1', 'shard-2']);
    await election.start();
    try {
      await waitFor(() => election.isLeader, 5000, 'the first shard to lead');
      await waitFor(
        () => election.status().group!.elections.every((e) => e.role === 'leader'),
        5000,
        'every shard to lead',
      );
      const doc = diagDocument(election.status());
      expect(doc).toMatchObject({ id: 'n1', protocol: 'kv', role: 'leader', leader: 'n1' });
      expect(typeof doc.elections).toBe('number');
      const group = doc.group as { lease: string; elections: { name: string; token: number }[] };
      expect(group.lease).toEqual(expect.any(String));
      expect(group.elections.map((e) => e.name)).toEqual(['shard-0', 'shard-1', 'shard-2']);
      for (const e of group.elections) expect(e.token).toBeGreaterThan(0);
    } finally {
      await election.stop();
    }
  });
});
