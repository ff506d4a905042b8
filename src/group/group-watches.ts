import type { KvGroupStore } from '../../transports/kv/group-types.js';
import type { KvHolder, KvWatchEvent } from '../../transports/kv/types.js';
import { withTimeout } from '../../transports/kv/types.js';

/** One election's watch, as the group sees it. */
interface Watch {
  listener: (event: KvWatchEvent) => void;
  /** Events delivered so far: a group read sent before the latest one is stale for it. */
  events: number;
  last: KvHolder | null | undefined;
}

const same = (a: KvHolder | null | undefined, b: KvHolder | null) =>
  a === b || (a != null && b !== null && a.value === b.value && a.token === b.token);

/**
 * The group's watches: each election's watch runs on the store's group side (which makes no
 * periodic requests), and the latest holder each reported is kept, so a waiting
 * candidate's periodic acquire is answered without a request. Where a store's watches can
 * miss an event, one read of every watched key per `checkMs` stands in for the per-key
 * re-reads a lone election makes.
 */
export class GroupWatches {
  private readonly watches = new Map<string, Set<Watch>>();
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** Group reads made, for status. */
  reads = 0;

  constructor(
    private readonly store: KvGroupStore,
    private readonly checkMs: number,
    private readonly timeoutMs: number,
    private readonly error: (error: Error) => void,
  ) {}

  start(): void {
    if (this.store.readAll === undefined) return;
    this.timer = setTimeout(() => void this.check(), this.checkMs);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, owner?: string): () => void {
    const watch: Watch = { listener, events: 0, last: undefined };
    let set = this.watches.get(key);
    if (set === undefined) {
      set = new Set();
      this.watches.set(key, set);
    }
    const watches = set;
    watches.add(watch);
    const remove = () => {
      watches.delete(watch);
      if (watches.size === 0 && this.watches.get(key) === watches) this.watches.delete(key);
    };
    const stop = this.store.watch(
      key,
      (event) => {
        watch.events++;
        if (event.type === 'holder') watch.last = event.holder;
        else remove();
        listener(event);
      },
      owner,
    );
    return () => {
      remove();
      stop();
    };
  }

  /**
   * The holder a live watch of `key` last reported, if someone else holds it: nothing was
   * seen to free it since, so an acquire would only be told the same.
   */
  heldByOther(key: string, id: string): KvHolder | undefined {
    for (const watch of this.watches.get(key) ?? []) {
      const last = watch.last;
      if (last != null && last.value !== id) return last;
    }
    return undefined;
  }

  private async check(): Promise<void> {
    if (this.stopped || this.store.readAll === undefined) return;
    const keys = [...this.watches.keys()];
    if (keys.length > 0) {
      const sent = new Map<Watch, number>();
      for (const key of keys) for (const w of this.watches.get(key) ?? []) sent.set(w, w.events);
      this.reads++;
      try {
        const holders = await withTimeout(
          this.store.readAll(keys),
          this.timeoutMs,
          `${this.store.kind} group read`,
        );
        for (const key of keys) {
          const holder = holders.get(key) ?? null;
          for (const watch of this.watches.get(key) ?? []) {
            // An event that came after the read left is newer than what it found.
            if (sent.get(watch) !== watch.events || same(watch.last, holder)) continue;
            watch.events++;
            watch.last = holder;
            watch.listener({ type: 'holder', holder });
          }
        }
      } catch (err) {
        this.error(new Error(`group read failed: ${(err as Error).message}`, { cause: err }));
      }
    }
    if (this.stopped) return;
    this.timer = setTimeout(() => void this.check(), this.checkMs);
    this.timer.unref();
  }
}
