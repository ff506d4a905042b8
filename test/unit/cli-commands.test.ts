import { describe, expect, it } from 'vitest';
import { formatChange, type LogSink } from '../../src/cli/change-log.js';
import { runElect } from '../../src/cli/elect-command.js';
import { UsageError } from '../../src/cli/usage-error.js';

const AT = new Date('2026-01-02T03:04:05.678Z');

function sink(): LogSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, out: (line) => lines.push(line), err: (line) => lines.push(`!${line}`) };
}

describe('formatChange', () => {
  const change = {
    role: 'follower' as const,
    leader: '10.0.0.5:7',
    leaderAddress: '10.0.0.5',
    leaderPid: '7',
    term: 2,
    isLeader: false,
  };

  it('names the leader address and pid when asked (Bully)', () => {
    expect(formatChange('text', AT, 'n1', change, { leaderDetails: true })).toBe(
      '2026-01-02T03:04:05.678Z n1 leader=10.0.0.5:7 leaderAddress=10.0.0.5 leaderPid=7 term=2 role=follower',
    );
    const none = { role: 'candidate' as const, leader: null, term: 3, isLeader: false };
    expect(formatChange('text', AT, 'n1', none, { leaderDetails: true })).toBe(
      '2026-01-02T03:04:05.678Z n1 leader=- leaderAddress=- leaderPid=- term=3 role=candidate',
    );
    expect(JSON.parse(formatChange('json', AT, 'n1', none, { leaderDetails: true }))).toEqual({
      time: AT.toISOString(),
      id: 'n1',
      role: 'candidate',
      leader: null,
      leaderAddress: null,
      leaderPid: null,
      term: 3,
      isLeader: false,
    });
  });

  it('keeps the raft line as it was', () => {
    expect(formatChange('text', AT, 'n1', { ...change, leader: 'n2' })).toBe(
      '2026-01-02T03:04:05.678Z n1 leader=n2 term=2 role=follower',
    );
  });
});

describe('runElect', () => {
  it('prints the leaders as one JSON array', () => {
    const out = sink();
    const config = {
      peers: ['a', 'b', 'c'],
      leaders: 3,
      entropy: 'x',
      strategy: 'rendezvous' as const,
    };
    expect(runElect(config, out)).toBe(0);
    expect(out.lines).toHaveLength(1);
    expect(JSON.parse(out.lines[0]!).sort()).toEqual(['a', 'b', 'c']);
  });

  it('turns what the election refuses into a usage error', () => {
    const out = sink();
    expect(() =>
      runElect({ peers: ['a', 'a'], leaders: 1, entropy: 'x', strategy: 'rendezvous' }, out),
    ).toThrow(new UsageError('duplicate peer id "a"'));
    expect(() =>
      runElect({ peers: ['a'], leaders: 1, entropy: 'short', strategy: 'chainpoint' }, out),
    ).toThrow(UsageError);
    expect(out.lines).toEqual([]);
  });
});
