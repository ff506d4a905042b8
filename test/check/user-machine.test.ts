import { describe, expect, it } from 'vitest';
import { assign, emit, type SnapshotFrom, setup } from 'xstate';
import {
  DEADLOCK,
  mermaidDiagram,
  modelCheck,
  type ProtocolModel,
  replay,
} from '../../src/check/index.js';

// The README's example: a user's own machine and invariant, checked from a test.

/** Claims leadership when its timer fires, unless it heard another claim first. */
const naive = setup({
  types: {
    context: {} as { id: string; leader: string | null },
    input: {} as { id: string },
    events: {} as { type: 'receive'; from: string; msg: { type: 'claim' } },
    emitted: {} as { type: 'send'; to: string; msg: { type: 'claim' } },
  },
}).createMachine({
  context: ({ input }) => ({ id: input.id, leader: null }),
  initial: 'waiting',
  states: {
    waiting: {
      after: {
        100: {
          target: 'leading',
          actions: [
            assign({ leader: ({ context }) => context.id }),
            emit({ type: 'send', to: '*', msg: { type: 'claim' } }),
          ],
        },
      },
      on: {
        receive: { target: 'following', actions: assign({ leader: ({ event }) => event.from }) },
      },
    },
    leading: {},
    following: {},
  },
});

const model: ProtocolModel = {
  name: 'naive',
  logic: naive,
  input: ({ id }) => ({ id }),
  view: (s: SnapshotFrom<typeof naive>) => ({
    role: s.value === 'leading' ? 'leader' : 'follower',
    leader: s.context.leader,
  }),
  invariants: [
    {
      name: 'at most one leader',
      check: (view) => {
        const leaders = view.nodes.filter((n) => n.up && n.role === 'leader');
        return leaders.length > 1 ? `${leaders.map((n) => n.id).join(' and ')} lead` : undefined;
      },
    },
  ],
};

describe('modelCheck on a machine of ones own', () => {
  it('finds the split brain of a naive election: both timers fire before either claim lands', () => {
    const result = modelCheck(model, { nodes: 2, maxFaults: 0 });
    expect(result.ok).toBe(false);
    expect(result.counterexample?.invariant).toBe('at most one leader');
    expect(result.counterexample?.steps.map((s) => s.kind)).toEqual(['timer', 'timer']);
  });

  it('passes, and covers the space, when nothing can break it', () => {
    // One node, crashing and restarting: it may lead again, but never beside another.
    const result = modelCheck(model, { nodes: 1, maxFaults: 2 });
    expect(result.ok).toBe(true);
    expect(result.complete).toBe(true);
    // waiting, leading, down after either, and each again with the budget spent.
    expect(result.states).toBeGreaterThan(3);
  });

  it('reports a deadlock: live nodes, no leader, nothing left to happen; it replays', () => {
    // Waits for something nobody sends: no timer, no message, no leader, ever.
    const stuck = setup({ types: { context: {} as { id: string } } }).createMachine({
      context: { id: '' },
      initial: 'waiting',
      states: { waiting: {} },
    });
    const model2: ProtocolModel = {
      ...model,
      logic: stuck,
      view: () => ({ role: 'follower', leader: null }),
    };
    const result = modelCheck(model2, { nodes: 2, maxFaults: 0 });
    expect(result.ok).toBe(false);
    expect(result.counterexample?.invariant).toBe(DEADLOCK);
    expect(result.counterexample?.steps).toEqual([]);
    expect(replay(model2, result.counterexample!).reproduced).toBe(true);
  });

  it('names nodes as the model does, in the path, the diagram and the replay', () => {
    const named: ProtocolModel = { ...model, ids: (n) => ['alpha:1', 'beta:2'].slice(0, n) };
    const cex = modelCheck(named, { nodes: 2, maxFaults: 0 }).counterexample!;
    expect(cex.ids).toEqual(['alpha:1', 'beta:2']);
    expect(cex.steps.map((s) => (s.kind === 'timer' ? s.node : ''))).toEqual(['alpha:1', 'beta:2']);
    const diagram = mermaidDiagram(cex);
    expect(diagram).toContain('participant p1 as alpha:1');
    expect(diagram).toContain('Note over p2: 2. after 100 in');
    expect(replay(named, cex).reproduced).toBe(true);
  });
});
