/** A FIFO that keeps only the newest `capacity` items: stale frames are the cheapest to lose. */
export class BoundedQueue<T> {
  private items: T[] = [];

  constructor(private readonly capacity: number) {}

  push(item: T): void {
    this.items.push(item);
    if (this.items.length > this.capacity) this.items.shift();
  }

  /** Removes and returns everything queued, oldest first. */
  drain(): T[] {
    const drained = this.items;
    this.items = [];
    return drained;
  }

  get size(): number {
    return this.items.length;
  }
}
