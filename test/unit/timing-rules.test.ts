import { describe, expect, it } from 'vitest';
import { bullyTiming } from '../../machines/bully/definition.js';
import { kvTiming } from '../../machines/kv/definition.js';
import { lesTiming } from '../../machines/les/definition.js';
import { raftTiming } from '../../machines/raft/definition.js';

describe('timing rules, checked when an election is built', () => {
  it('accepts every protocol’s defaults', () => {
    expect(() => raftTiming({})).not.toThrow();
    expect(() => kvTiming({ key: 'k' })).not.toThrow();
    expect(() => bullyTiming({})).not.toThrow();
    expect(() => lesTiming({})).not.toThrow();
  });

  it.each([
    [
      'raft: a heartbeat above a third of the minimum election timeout',
      () => raftTiming({ heartbeatMs: 51, electionTimeoutMs: [150, 300] }),
      'heartbeatMs (51) must be at most a third of the minimum election timeout (150)',
    ],
    [
      'raft: a lease as long as the minimum election timeout',
      () => raftTiming({ leaseMs: 150 }),
      'leaseMs must be positive and below the minimum election timeout (150), got 150',
    ],
    [
      'raft: a lease no longer than a heartbeat',
      () => raftTiming({ heartbeatMs: 50, leaseMs: 50 }),
      'leaseMs (50) must be longer than heartbeatMs (50)',
    ],
    [
      'kv: a renewal that could time out past the leader’s deadline',
      () => kvTiming({ key: 'k', ttlMs: 5000, renewMs: 2500, requestTimeoutMs: 2001 }),
      'renewMs (2500) plus requestTimeoutMs (2001) must be at most ttlMs less marginMs (4500)',
    ],
    [
      'kv: a margin as long as the TTL',
      () => kvTiming({ key: 'k', ttlMs: 1000, marginMs: 1000 }),
      'marginMs (1000) must be below ttlMs (1000)',
    ],
    [
      'bully: announcements too rare for the leader timeout',
      () => bullyTiming({ announceMs: 260, leaderTimeoutMs: 500 }),
      'announceMs (260) must be at most half of leaderTimeoutMs (500)',
    ],
    [
      'les: a ping timeout past the state timeout',
      () => lesTiming({ pingTimeoutMs: 4000, stateTimeoutMs: 3000 }),
      'pingTimeoutMs (4000) must not exceed stateTimeoutMs (3000)',
    ],
  ])('refuses %s, naming the rule', (_what, build, message) => {
    expect(build).toThrow(RangeError);
    expect(build).toThrow(message);
  });

  it('accepts each rule at its limit', () => {
    expect(() => raftTiming({ heartbeatMs: 50, electionTimeoutMs: [150, 300] })).not.toThrow();
    expect(() =>
      kvTiming({ key: 'k', ttlMs: 5000, renewMs: 2500, requestTimeoutMs: 2000 }),
    ).not.toThrow();
    expect(() => bullyTiming({ announceMs: 250, leaderTimeoutMs: 500 })).not.toThrow();
  });
});
