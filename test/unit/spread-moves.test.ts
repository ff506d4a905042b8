import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { preferredLeaders, spreadCap, spreadMoves } from '../../src/group/spread-moves.js';

const layout = fc
  .record({
    members: fc.uniqueArray(fc.constantFrom<string>('p1', 'p2', 'p3', 'p4', 'p5'), {
      minLength: 1,
    }),
    shards: fc.integer({ min: 0, max: 60 }),
    seed: fc.array(fc.nat(), { minLength: 60, maxLength: 60 }),
    gone: fc.constantFrom('p1', 'p9'),
  })
  .map(({ members, shards, seed, gone }) => {
    const leaders = new Map<string, string | null>();
    const pool = [...members, null, gone];
    for (let i = 0; i < shards; i++) leaders.set(`shard-${i}`, pool[seed[i]! % pool.length]!);
    return { members, leaders };
  });

function applied(leaders: Map<string, string | null>, moves: ReturnType<typeof spreadMoves>) {
  const after = new Map(leaders);
  for (const m of moves) after.set(m.shard, m.to);
  return after;
}

function counts(leaders: Map<string, string | null>, members: string[]): number[] {
  return members.map((m) => [...leaders.values()].filter((l) => l === m).length);
}

describe('spreadMoves', () => {
  it('leaves no live member above ceil(shards / live), moving only the excess', () => {
    fc.assert(
      fc.property(layout, ({ members, leaders }) => {
        const moves = spreadMoves(leaders, members);
        const cap = spreadCap(leaders.size, members.length);
        const before = counts(leaders, members);
        const excess = before.reduce((sum, c) => sum + Math.max(0, c - cap), 0);
        expect(moves).toHaveLength(excess);
        for (const c of counts(applied(leaders, moves), members))
          expect(c).toBeLessThanOrEqual(cap);
        for (const m of moves) {
          expect(leaders.get(m.shard)).toBe(m.from);
          expect(members).toContain(m.to);
          expect(before[members.indexOf(m.from)]).toBeGreaterThan(cap);
        }
        expect(new Set(moves.map((m) => m.shard)).size).toBe(moves.length);
      }),
    );
  });

  it('plans the same moves whatever order the leaders and members come in', () => {
    fc.assert(
      fc.property(layout, ({ members, leaders }) => {
        const shuffled = new Map([...leaders].reverse());
        expect(spreadMoves(shuffled, [...members].reverse())).toEqual(
          spreadMoves(leaders, members),
        );
      }),
    );
  });

  it('is already balanced when every shard is led by its preferred member, one each', () => {
    const members = ['p1', 'p2', 'p3'];
    const leaders = new Map<string, string | null>();
    for (let i = 0; leaders.size < 3 && i < 1000; i++) {
      const top = preferredLeaders(`s${i}`, members)[0]!;
      if (![...leaders.values()].includes(top)) leaders.set(`s${i}`, top);
    }
    expect(spreadMoves(leaders, members)).toEqual([]);
  });

  it('hands a process’s excess to the members the shards prefer', () => {
    const members = ['p1', 'p2', 'p3'];
    const leaders = new Map<string, string | null>();
    for (let i = 0; i < 9; i++) leaders.set(`s${i}`, 'p1');
    const moves = spreadMoves(leaders, members);
    expect(moves).toHaveLength(6);
    // The shards that rank p1 last leave first, to their first choice while it has room.
    const prefersOther = moves.filter((m) => preferredLeaders(m.shard, members)[0] === m.to);
    expect(prefersOther.length).toBeGreaterThan(0);
  });

  it('ranks members the same way in every process, and by rendezvous hashing', () => {
    expect(preferredLeaders('orders-7', ['a', 'b', 'c'])).toEqual(
      preferredLeaders('orders-7', ['c', 'a', 'b']),
    );
    expect(preferredLeaders('x', [])).toEqual([]);
  });
});
