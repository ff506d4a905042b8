/**
 * The record of what happened in a simulation, kept as a bounded ring so a long run stays
 * cheap, and formatted only when someone prints it (usually after a failed property).
 */
export interface TraceEntry {
  at: number;
  node: string;
  what: string;
  detail?: unknown;
}

/** What happened in a simulation, as a bounded ring of entries. */
export class Trace {
  private entries: TraceEntry[] = [];
  private start = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  /** Records an entry (nothing when the limit is 0). */
  add(at: number, node: string, what: string, detail?: unknown): void {
    if (this.limit <= 0) return;
    const e: TraceEntry = detail === undefined ? { at, node, what } : { at, node, what, detail };
    if (this.entries.length < this.limit) {
      this.entries.push(e);
    } else {
      this.entries[this.start] = e;
      this.start = (this.start + 1) % this.limit;
      this.dropped++;
    }
  }

  /** The entries kept, oldest first. */
  list(): TraceEntry[] {
    return [...this.entries.slice(this.start), ...this.entries.slice(0, this.start)];
  }

  /** The entries kept, one line each, with a note of how many earlier ones were dropped. */
  format(): string {
    const head = this.dropped > 0 ? [`… ${this.dropped} earlier entries not kept`] : [];
    const lines = this.list().map((e) => {
      const detail = e.detail === undefined ? '' : ` ${JSON.stringify(e.detail)}`;
      return `${e.at.toFixed(0).padStart(7)}ms ${e.node.padEnd(6)} ${e.what}${detail}`;
    });
    return [...head, ...lines].join('\n');
  }
}
