import { describeMessage } from '../../machines/protocol-model.js';

/** One move of the world in a path the checker found: the unit of counterexamples and replay. */
export type CheckStep =
  | { kind: 'deliver' | 'drop' | 'duplicate'; from: string; to: string; msg: unknown }
  | { kind: 'timer'; node: string; timer: string; event: string }
  | { kind: 'crash' | 'restart'; node: string }
  /** Timed mode: the global clock advances by one tick (one millisecond of machine time). */
  | { kind: 'tick' };

/** One step in words, as counterexamples list them. */
export function describeStep(step: CheckStep, describe = describeMessage): string {
  switch (step.kind) {
    case 'deliver':
      return `${step.from} -> ${step.to}: ${describe(step.msg)}`;
    case 'drop':
      return `${step.from} -> ${step.to}: ${describe(step.msg)} (dropped)`;
    case 'duplicate':
      return `${step.from} -> ${step.to}: ${describe(step.msg)} (duplicated)`;
    case 'timer':
      return `${step.node}: ${describeTimer(step.timer, step.event)}`;
    case 'crash':
      return `${step.node} crashes`;
    case 'restart':
      return `${step.node} restarts`;
    case 'tick':
      return 'clock +1';
  }
}

/**
 * A timer in words: XState names `after` timers `xstate.after.<delay>.<machine>.<state>`,
 * shown as the delay and the state; a raised event shows its id and, if different, type.
 */
export function describeTimer(id: string, event: string): string {
  const after = /^xstate\.after\.([^.]+)\.(.+)$/.exec(id);
  if (after !== null) return `after ${after[1]} in ${after[2]}`;
  return id === event ? `timer ${id} fires` : `timer ${id} fires (${event})`;
}
