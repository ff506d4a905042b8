import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeEntropyMessage } from '../../machines/entropy/machine.js';
import { decodeKvReply } from '../../machines/kv/messages.js';
import { decodeLesState } from '../../machines/les/messages.js';
import { decodeRaftMessage, MAX_TERM } from '../../machines/raft/messages.js';
import { MAX_WIRE_COUNTER } from '../../machines/wire-bounds.js';
import { DurableStore } from '../../src/runtime/durable-store.js';

const PAST = [MAX_WIRE_COUNTER + 1, Number.MAX_SAFE_INTEGER, 2 ** 53, 2 ** 64];
const dirs: string[] = [];

afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('counters that cross the wire', () => {
  it('stop at 2^48 - 1, which keeps value + 1 exact', () => {
    expect(MAX_WIRE_COUNTER).toBe(2 ** 48 - 1);
    expect(MAX_TERM).toBe(MAX_WIRE_COUNTER);
    expect(Number.isSafeInteger(MAX_WIRE_COUNTER + 1)).toBe(true);
  });

  it('refuse Raft terms and heartbeat rounds past the bound', () => {
    const heartbeat = (term: number, round: number) =>
      decodeRaftMessage({ type: 'heartbeat', term, round });
    expect(heartbeat(MAX_TERM, MAX_WIRE_COUNTER)).toBeDefined();
    for (const n of PAST) {
      expect(heartbeat(n, 1)).toBeUndefined();
      expect(heartbeat(1, n)).toBeUndefined();
      expect(decodeRaftMessage({ type: 'vote', term: n, transfer: false })).toBeUndefined();
    }
  });

  it('refuse entropy rounds past the bound', () => {
    expect(
      decodeEntropyMessage({ type: 'entropy', round: MAX_WIRE_COUNTER, value: 'ab' }),
    ).toBeDefined();
    for (const n of PAST) {
      expect(decodeEntropyMessage({ type: 'entropy', round: n, value: 'ab' })).toBeUndefined();
      expect(decodeEntropyMessage({ type: 'peers', fromRound: n, peers: ['a'] })).toBeUndefined();
    }
  });

  it('refuse KV fencing tokens past the bound', () => {
    const acquired = (token: number) =>
      decodeKvReply({ type: 'acquired', round: 1, owner: 'o', token });
    expect(acquired(MAX_WIRE_COUNTER)).toBeDefined();
    for (const n of PAST) {
      expect(acquired(n)).toBeUndefined();
      expect(
        decodeKvReply({ type: 'holder', round: 1, holder: { value: 'v', token: n } }),
      ).toBeUndefined();
    }
  });

  it('refuse LES start times before the epoch, which would outrank every real node', () => {
    const state = (start_time: number) =>
      decodeLesState({ members: [], leader: false, start_time });
    expect(state(0)).toBeDefined();
    expect(state(1627515915.7)).toBeDefined();
    for (const t of [-1, -1e308, Number.NEGATIVE_INFINITY]) expect(state(t)).toBeUndefined();
  });

  it('refuse a persisted term past the bound instead of starting stuck there', () => {
    const dir = mkdtempSync(join(tmpdir(), 'electorate-bounds-'));
    dirs.push(dir);
    const store = new DurableStore(dir);
    writeFileSync(
      join(dir, 'election-state.json'),
      JSON.stringify({ term: MAX_TERM, votedFor: null }),
    );
    expect(store.load()).toEqual({ term: MAX_TERM, votedFor: null });
    writeFileSync(
      join(dir, 'election-state.json'),
      JSON.stringify({ term: Number.MAX_SAFE_INTEGER, votedFor: null }),
    );
    expect(() => store.load()).toThrow(/valid term/);
  });
});
