import type { KvGroupCapable, KvGroupStore } from './group-types.js';
import { MemoryGroup } from './memory-group.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
} from './types.js';

/** The clock a memory store keeps TTLs on: the real one, or a simulator's virtual one. */
export interface StoreClock {
  /** The current time in milliseconds. */
  now(): number;
  /** Runs `fn` after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timeout set with `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** Options of `memoryStore`: the clock its TTLs run on (default: the real one). */
export interface MemoryStoreOptions {
  clock?: StoreClock;
}

interface Entry {
  value: string;
  owner: string;
  token: number;
  expiresAt: number;
  timer: unknown;
}

const realClock: StoreClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * The embedded store: keys, TTLs and watches in this process. Everything that shares one
 * memory store (candidates in one process, nodes in one simulation) sees one election; it
 * survives nothing, so across processes use etcd, ZooKeeper or Redis.
 */
export class MemoryStore implements KvStore, KvGroupCapable {
  readonly kind = 'memory';
  private readonly clock: StoreClock;
  private readonly entries = new Map<string, Entry>();
  private readonly watchers = new Map<string, Set<(event: KvWatchEvent) => void>>();
  private tokens = 0;
  private owners = 0;

  constructor(options: MemoryStoreOptions = {}) {
    this.clock = options.clock ?? realClock;
  }

  async acquire(request: AcquireRequest): Promise<AcquireResult> {
    return this.acquireNow(request);
  }

  /** The same as `acquire`, answered at once (for a simulator that decides its own delays). */
  acquireNow({ key, value, ttlMs, owner }: AcquireRequest): AcquireResult {
    checkTtl(ttlMs);
    const entry = this.live(key);
    if (entry !== undefined) {
      if (owner === undefined || entry.owner !== owner) {
        return { acquired: false, holder: { value: entry.value, token: entry.token } };
      }
      this.extend(key, entry, ttlMs);
      return { acquired: true, owner: entry.owner, token: entry.token };
    }
    const next: Entry = {
      value,
      owner: owner ?? `m${++this.owners}`,
      token: ++this.tokens,
      expiresAt: 0,
      timer: undefined,
    };
    this.entries.set(key, next);
    this.extend(key, next, ttlMs);
    this.notify(key);
    return { acquired: true, owner: next.owner, token: next.token };
  }

  async renew(request: { key: string; owner: string; ttlMs: number }): Promise<boolean> {
    return this.renewNow(request);
  }

  /** The same as `renew`, answered at once. */
  renewNow({ key, owner, ttlMs }: { key: string; owner: string; ttlMs: number }): boolean {
    checkTtl(ttlMs);
    const entry = this.live(key);
    if (entry === undefined || entry.owner !== owner) return false;
    this.extend(key, entry, ttlMs);
    return true;
  }

  async release(request: { key: string; owner: string }): Promise<void> {
    this.releaseNow(request);
  }

  /** The same as `release`, done at once. */
  releaseNow({ key, owner }: { key: string; owner: string }): void {
    const entry = this.live(key);
    if (entry === undefined || entry.owner !== owner) return;
    this.drop(key, entry);
  }

  async read(key: string): Promise<KvHolder | null> {
    return this.readNow(key);
  }

  /** The same as `read`, answered at once. */
  readNow(key: string): KvHolder | null {
    const entry = this.live(key);
    return entry === undefined ? null : { value: entry.value, token: entry.token };
  }

  async inspect(key: string): Promise<KvHeld | null> {
    return this.inspectNow(key);
  }

  /** The same as `inspect`, answered at once. */
  inspectNow(key: string): KvHeld | null {
    const entry = this.live(key);
    return entry === undefined
      ? null
      : { holder: { value: entry.value, token: entry.token }, owner: entry.owner };
  }

  watch(key: string, listener: (event: KvWatchEvent) => void): () => void {
    let set = this.watchers.get(key);
    if (set === undefined) {
      set = new Set();
      this.watchers.set(key, set);
    }
    set.add(listener);
    listener({ type: 'holder', holder: this.readNow(key) });
    return () => {
      set.delete(listener);
      if (set.size === 0) this.watchers.delete(key);
    };
  }

  async close(): Promise<void> {}

  /** The side an election group uses: one shared lease for many keys. */
  group(): KvGroupStore {
    return new MemoryGroup(this);
  }

  /** The entry if its lease is still running; an expired one is dropped (and announced) here. */
  private live(key: string): Entry | undefined {
    const entry = this.entries.get(key);
    if (entry === undefined) return undefined;
    if (this.clock.now() < entry.expiresAt) return entry;
    this.drop(key, entry);
    return undefined;
  }

  private extend(key: string, entry: Entry, ttlMs: number): void {
    entry.expiresAt = this.clock.now() + ttlMs;
    this.arm(key, entry, ttlMs);
  }

  /** Expires the entry on time even if nobody asks, so watchers hear of it. */
  private arm(key: string, entry: Entry, ms: number): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = this.clock.setTimeout(() => {
      entry.timer = undefined;
      if (this.entries.get(key) !== entry) return;
      const left = entry.expiresAt - this.clock.now();
      // A timer may fire a little early; the entry must not outlive it unannounced.
      if (left > 0) this.arm(key, entry, left);
      else this.drop(key, entry);
    }, ms);
  }

  private drop(key: string, entry: Entry): void {
    if (entry.timer !== undefined) this.clock.clearTimeout(entry.timer);
    entry.timer = undefined;
    this.entries.delete(key);
    this.notify(key);
  }

  private notify(key: string): void {
    const set = this.watchers.get(key);
    if (set === undefined) return;
    const holder = this.readNow(key);
    for (const listener of [...set]) listener({ type: 'holder', holder });
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isFinite(ttlMs) || ttlMs <= 0)
    throw new RangeError(`ttl must be positive, got ${ttlMs}`);
}

/** The embedded store (the default). */
export function memoryStore(options: MemoryStoreOptions = {}): MemoryStore {
  return new MemoryStore(options);
}

let processStore: MemoryStore | undefined;

/** One memory store per process: what elections use when given no store. */
export function defaultMemoryStore(): MemoryStore {
  processStore ??= new MemoryStore();
  return processStore;
}
