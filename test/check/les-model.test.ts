import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { type LesContext, lesMachine } from '../../machines/les/machine.js';
import { lesModel, modelCheck, replay } from '../../src/check/index.js';

/**
 * An LES node that keeps naming its leader after dropping it as a member: the machine's
 * own step, with the old leader put back whenever it was removed.
 */
const keepsRemovedLeader = Object.create(lesMachine, {
  transition: {
    value(snapshot: AnyMachineSnapshot, event: EventObject, scope: unknown) {
      const next = lesMachine.transition(snapshot as never, event as never, scope as never);
      const was = (snapshot.context as LesContext).leader;
      if (was === null || next.context.members.includes(was)) return next;
      return Object.assign(Object.create(Object.getPrototypeOf(next)), next, {
        context: { ...next.context, leader: was },
      });
    },
  },
}) as typeof lesMachine;

describe('model checking LES', () => {
  it('holds within its default bounds: no node names a removed member as leader', () => {
    const result = modelCheck('les');
    expect(result.violation).toBeUndefined();
    expect(result.complete).toBe(true);
    expect(result.ids).toEqual(['n1:7001', 'n2:7002']);
  });

  it('catches a node that keeps a removed leader, and the path replays', () => {
    const model = lesModel({ logic: keepsRemovedLeader, name: 'les-keeps-leader' });
    const result = modelCheck(model);
    expect(result.ok).toBe(false);
    const cex = result.counterexample!;
    expect(cex.invariant).toBe('no node names a removed member as leader');
    const replayed = replay(model, cex);
    expect(replayed.diverged).toBeUndefined();
    expect(replayed.reproduced).toBe(true);
  });
});
