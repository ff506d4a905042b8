import type { KvHolder, KvWatchEvent } from './types.js';
import { WatchFeed } from './watch-feed.js';

/** Opens one subscription for many keys; `deliver` without a holder means "read it". */
export type OpenSubscription = (
  deliver: (key: string, holder?: KvHolder | null) => void,
  fail: (err: unknown) => void,
) => Promise<() => void>;

/**
 * Many key watches over one subscription (an etcd prefix watch, a Redis pattern
 * subscription, a PostgreSQL LISTEN): a connection or stream per key would not scale to
 * thousands of elections. The subscription opens with the first watch; when it breaks,
 * every watch ends with the error, and the next watch opens it again.
 */
export class SharedWatch {
  private readonly feeds = new Map<string, Set<WatchFeed>>();
  private subscription: Promise<() => void> | undefined;

  constructor(
    private readonly open: OpenSubscription,
    private readonly read: (key: string) => Promise<KvHolder | null>,
    private readonly timeoutMs: number,
  ) {}

  watch(key: string, listener: (event: KvWatchEvent) => void): () => void {
    const feed = new WatchFeed(listener, () => this.read(key), this.timeoutMs);
    let set = this.feeds.get(key);
    if (set === undefined) {
      set = new Set();
      this.feeds.set(key, set);
    }
    const feeds = set;
    feeds.add(feed);
    feed.onEnd(() => {
      feeds.delete(feed);
      if (feeds.size === 0 && this.feeds.get(key) === feeds) this.feeds.delete(key);
    });
    // Subscribed before the first read: a change between the two is never missed.
    this.subscribe().then(
      () => feed.check(),
      (err) => feed.fail(err),
    );
    return () => feed.end();
  }

  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    for (const set of [...this.feeds.values()]) for (const feed of [...set]) feed.end();
    (await subscription?.catch(() => undefined))?.();
  }

  private subscribe(): Promise<() => void> {
    if (this.subscription !== undefined) return this.subscription;
    const subscription = this.open(
      (key, holder) => {
        if (this.subscription !== subscription) return;
        for (const feed of [...(this.feeds.get(key) ?? [])]) {
          if (holder === undefined) void feed.check();
          else feed.push(holder);
        }
      },
      (err) => {
        if (this.subscription !== subscription) return;
        this.subscription = undefined;
        void subscription.then((stop) => stop()).catch(() => undefined);
        for (const set of [...this.feeds.values()]) for (const feed of [...set]) feed.fail(err);
      },
    );
    this.subscription = subscription;
    subscription.catch(() => {
      if (this.subscription === subscription) this.subscription = undefined;
    });
    return subscription;
  }
}
