import { eventTime } from './event-text.js';
import type { ChaosEvent, ChaosHistory } from './history.js';

type Kind = ChaosEvent['kind'];
export type EventOf<K extends Kind> = Extract<ChaosEvent, { kind: K }>;

/** The history's events grouped by kind, each group in time order. */
export class HistoryIndex {
  private readonly byKind = new Map<Kind, ChaosEvent[]>();

  constructor(readonly history: ChaosHistory) {
    const sorted = history.events
      .map((e, i) => ({ e, i }))
      // Stable on equal times, so events keep the order they were recorded in.
      .sort((a, b) => eventTime(a.e) - eventTime(b.e) || a.i - b.i);
    for (const { e } of sorted) {
      const list = this.byKind.get(e.kind);
      if (list) list.push(e);
      else this.byKind.set(e.kind, [e]);
    }
  }

  of<K extends Kind>(kind: K): EventOf<K>[] {
    return (this.byKind.get(kind) ?? []) as EventOf<K>[];
  }

  /** Where a fault stops counting: its heal, or the end of the run when it never healed. */
  faultEnd(f: EventOf<'fault'>): number {
    return f.end ?? this.history.end;
  }

  /** Faults whose window, stretched by `after` past the heal, holds `t`. */
  faultsAt(t: number, after = this.history.timing.recoveryBoundMs): EventOf<'fault'>[] {
    return this.of('fault').filter((f) => f.start <= t && t <= this.faultEnd(f) + after);
  }
}
