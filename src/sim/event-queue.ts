/**
 * A min-heap of callbacks keyed by (virtual time, insertion order). Ties fire in the order
 * they were scheduled, which is what makes a simulation replay exactly from its seed.
 */
export interface QueuedEvent {
  at: number;
  seq: number;
  run: () => void;
  cancelled: boolean;
}

/**
 * The simulator's event queue: callbacks ordered by virtual time, ties in the order they were
 * scheduled.
 */
export class EventQueue {
  private heap: QueuedEvent[] = [];
  private seq = 0;

  get size(): number {
    return this.heap.length;
  }

  /** Schedules `run` at virtual time `at`. */
  push(at: number, run: () => void): QueuedEvent {
    const ev: QueuedEvent = { at, seq: this.seq++, run, cancelled: false };
    const h = this.heap;
    h.push(ev);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!before(ev, h[parent]!)) break;
      h[i] = h[parent]!;
      i = parent;
    }
    h[i] = ev;
    return ev;
  }

  /** The next event, left in the queue. */
  peek(): QueuedEvent | undefined {
    return this.heap[0];
  }

  /** Takes the next event out of the queue. */
  pop(): QueuedEvent | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (top === undefined || last === undefined || h.length === 0) return top;
    let i = 0;
    const n = h.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const child = r < n && before(h[r]!, h[l]!) ? r : l;
      if (!before(h[child]!, last)) break;
      h[i] = h[child]!;
      i = child;
    }
    h[i] = last;
    return top;
  }
}

function before(a: QueuedEvent, b: QueuedEvent): boolean {
  return a.at < b.at || (a.at === b.at && a.seq < b.seq);
}
