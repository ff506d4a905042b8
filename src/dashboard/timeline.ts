export type TimelineKind = 'leader' | 'role' | 'fault' | 'control' | 'error';

export interface TimelineEntry {
  seq: number;
  /** Wall-clock time, ms since the epoch. */
  at: number;
  kind: TimelineKind;
  node: string | null;
  text: string;
}

const TIMELINE_SIZE = 300;

/** The page's event log: elections, leader changes, faults and what the operator did. */
export class Timeline {
  private readonly entries: TimelineEntry[] = [];
  private seq = 0;

  add(kind: TimelineKind, node: string | null, text: string): void {
    this.entries.push({ seq: ++this.seq, at: Date.now(), kind, node, text });
    if (this.entries.length > TIMELINE_SIZE) this.entries.shift();
  }

  /** Entries after `afterSeq` (at most the whole retained log). */
  since(afterSeq: number): TimelineEntry[] {
    return this.entries.filter((e) => e.seq > afterSeq);
  }
}
