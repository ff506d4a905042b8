import type { ChaosEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';
import type { Violation, ViolationRule } from './verdict.js';

/** A violation at `at`, naming the nodes its events came from and the faults it belongs to. */
export function finding(
  index: HistoryIndex,
  rule: ViolationRule,
  message: string,
  events: ChaosEvent[],
  at: number,
  nodes = [...new Set(events.flatMap((e) => (e.kind === 'fault' ? [] : [e.node])))],
): Violation {
  // A violation that names its fault belongs to that fault, not to everything around it.
  const named = events.flatMap((e) => (e.kind === 'fault' ? [e.id] : []));
  const faults = named.length > 0 ? named : index.faultsAt(at).map((f) => f.id);
  return { rule, message, at, nodes, events, faults };
}
