import { type BatchEntry, entryBytes, MAX_BATCH_ENTRIES } from './batch.js';

/** One frame's worth of entries for one peer. */
export interface OutboundBatch {
  to: string;
  entries: BatchEntry[];
}

/**
 * What a member has for each peer since it last sent: every election's messages, queued in
 * the order they were sent, until the turn of the event loop ends and they leave together.
 */
export class Outbox {
  private pending = new Map<string, BatchEntry[]>();

  constructor(
    /** Bytes a frame's entries may fill: the transport's frame limit, less the envelope. */
    private readonly budgetBytes: number,
  ) {}

  get empty(): boolean {
    return this.pending.size === 0;
  }

  add(to: string, election: string, msg: unknown): void {
    const queue = this.pending.get(to);
    if (queue === undefined) this.pending.set(to, [[election, msg]]);
    else queue.push([election, msg]);
  }

  /**
   * Everything queued, as few frames as fit: one per peer unless a peer's entries exceed a
   * batch's entry or byte limit. An entry too large for any frame is left out: the receiver
   * would refuse it and, over TCP, close the link every election shares.
   */
  drain(): OutboundBatch[] {
    const out: OutboundBatch[] = [];
    for (const [to, queue] of this.pending) {
      let entries: BatchEntry[] = [];
      let bytes = 0;
      for (const entry of queue) {
        const size = entryBytes(entry[0], entry[1]);
        if (size > this.budgetBytes) continue;
        if (entries.length === MAX_BATCH_ENTRIES || bytes + size > this.budgetBytes) {
          out.push({ to, entries });
          entries = [];
          bytes = 0;
        }
        entries.push(entry);
        bytes += size;
      }
      if (entries.length > 0) out.push({ to, entries });
    }
    this.pending.clear();
    return out;
  }
}
