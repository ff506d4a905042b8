import type { ChaosEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { Violation, ViolationRule } from './verdict.js';

/** A violation at `at`, naming the nodes its events came from and the faults around it. */
export function finding(
  index: HistoryIndex,
  rule: ViolationRule,
  message: string,
  events: ChaosEvent[],
  at: number,
  nodes = [...new Set(events.flatMap((e) => (e.kind === 'fault' ? [] : [e.node])))],
): Violation {
  return { rule, message, at, nodes, events, faults: index.faultsAt(at).map((f) => f.id) };
}
