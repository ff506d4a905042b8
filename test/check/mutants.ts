import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { assign } from 'xstate';
import { bullyMachine } from '../../machines/bully/machine.js';
import { type EntropyMessage, entropyMachine } from '../../machines/entropy/machine.js';
import { type LesContext, lesMachine } from '../../machines/les/machine.js';

/** A Bully node that follows any Coordinator, whoever sent it. */
export const followsAnyone = bullyMachine.provide({
  guards: { coordinatorFromHigher: ({ event }) => event.msg.type === 'coordinator' },
});

/** An entropy node that keeps the first value it hears for a round, not the greater one. */
export const firstValueWins = entropyMachine.provide({
  actions: {
    recordEntropy: assign(({ context, event }) => {
      const m = event.msg as Extract<EntropyMessage, { type: 'entropy' }>;
      if (context.round !== null && m.round <= context.round) return {};
      return { round: m.round, value: m.value };
    }),
  },
});

/**
 * An LES node that keeps naming its leader after dropping it as a member: the machine's
 * own step, with the old leader put back whenever it was removed.
 */
export const keepsRemovedLeader = Object.create(lesMachine, {
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
