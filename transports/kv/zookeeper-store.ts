import { randomBytes } from 'node:crypto';
import type { Client, Stat, State } from 'node-zookeeper-client';
import type { KvGroupCapable, KvGroupStore } from './group-types.js';
import type {
  AcquireRequest,
  AcquireResult,
  KvHeld,
  KvHolder,
  KvStore,
  KvWatchEvent,
  WatchOptions,
} from './types.js';
import { loadClient, withTimeout } from './types.js';
import { WatchFeed } from './watch-feed.js';
import { ZookeeperGroup } from './zookeeper-group.js';

/** Options of `zookeeperStore`. */
export interface ZookeeperStoreOptions {
  /** `host:port[,host:port…]`. */
  connect: string;
  /** Deadline of each call and of connecting (default 2000 ms). */
  timeoutMs?: number;
  /** The session timeout to ask for (default: the first lease's TTL). */
  sessionTimeoutMs?: number;
}

type ZkModule = typeof import('node-zookeeper-client');

/**
 * The server may grant less than the session timeout asked for (its maxSessionTimeout). The
 * session is the lease, so a shorter one could expire while the leader still leads.
 */
function checkGranted(client: { getSessionTimeout(): number }, ttlMs: number): void {
  const granted = client.getSessionTimeout();
  if (granted < ttlMs) {
    throw new Error(
      `ZooKeeper granted a session timeout of ${granted} ms, below the ttl of ${ttlMs} ms: lower the ttl or raise the server's maxSessionTimeout`,
    );
  }
}

const NO_NODE = -101;
const PREFIX = 'n_';

const codeOf = (err: unknown): number | undefined =>
  typeof (err as { getCode?: unknown })?.getCode === 'function'
    ? (err as { getCode(): number }).getCode()
    : undefined;

/** Candidates' znodes in queue order (by their sequence suffix). */
function queue(children: string[]): string[] {
  return children.filter((c) => c.startsWith(PREFIX)).sort((a, b) => sequence(a) - sequence(b));
}

function sequence(name: string): number {
  return Number(name.slice(-10));
}

/** A znode's data: whether its candidate has claimed the lead, then its value. */
function encode(state: 'queued' | 'leads', value: string): Buffer {
  return Buffer.from(`${state}\n${value}`);
}

function decode(data: Buffer | undefined): { state: string; value: string } {
  const text = data?.toString() ?? '';
  const at = text.indexOf('\n');
  return at < 0
    ? { state: 'queued', value: text }
    : { state: text.slice(0, at), value: text.slice(at + 1) };
}

/** Fencing tokens start at 1: the first znode's sequence is 0. */
const tokenOf = (name: string) => sequence(name) + 1;

/**
 * ZooKeeper through the npm package `node-zookeeper-client`, loaded when first needed.
 * The key is a directory; each candidate adds an ephemeral sequential znode to it holding
 * its value, and the lowest leads. A waiting candidate watches only the znode just ahead
 * of it, so a departure wakes one candidate, not all. A lease is the client's session:
 * it ends when the server stops hearing from the client for the session timeout, which
 * must be at least the election's TTL. The fencing token is the winning znode's sequence.
 */
export class ZookeeperStore implements KvStore, KvGroupCapable {
  readonly kind = 'zookeeper';
  private session: Promise<Client> | undefined;
  private readonly timeoutMs: number;
  private readonly feeds = new Set<WatchFeed>();
  /** Calls timed out since the last one answered, and since when. */
  private stalls = 0;
  private stalledSince = 0;
  /** Names this store's znodes, so a create whose answer was lost can be found. */
  private readonly tag = randomBytes(6).toString('hex');

  constructor(private readonly options: ZookeeperStoreOptions) {
    this.timeoutMs = options.timeoutMs ?? 2000;
  }

  async connect(ttlMs: number): Promise<void> {
    // Refused at start, not at the first acquire: the configuration can never be safe.
    checkGranted(await this.client(ttlMs), ttlMs);
  }

  async acquire({ key, value, ttlMs, owner }: AcquireRequest): Promise<AcquireResult> {
    const client = await this.client(ttlMs);
    checkGranted(client, ttlMs);
    const dir = pathOf(key);
    let mine = owner;
    if (mine !== undefined && !(await this.owns(client, mine))) mine = undefined;
    if (mine === undefined) {
      await this.call((cb) => client.mkdirp(dir, cb));
      mine = await this.adopt(client, dir, value);
    }
    if (mine === undefined) {
      const zk = await this.zk();
      mine = await this.call<string>((cb) =>
        client.create(
          `${dir}/${PREFIX}${this.tag}_`,
          encode('queued', value),
          zk.CreateMode.EPHEMERAL_SEQUENTIAL,
          cb,
        ),
      );
    }
    const name = mine.slice(dir.length + 1);
    const children = queue(await this.children(client, dir));
    if (children[0] === name) {
      // The head of the queue says it leads, so that followers name it only from now on.
      await this.call<unknown>((cb) => client.setData(mine!, encode('leads', value), -1, cb));
      return { acquired: true, owner: mine, token: tokenOf(name) };
    }
    if (!children.includes(name)) return { acquired: false, holder: null };
    return { acquired: false, holder: await this.lowest(client, dir), owner: mine };
  }

  async renew({ owner }: { key: string; owner: string }): Promise<boolean> {
    return this.owns(await this.client(), owner);
  }

  async release({ owner }: { key: string; owner: string }): Promise<void> {
    const client = await this.client();
    try {
      await this.call<void>((cb) => client.remove(owner, -1, (e) => cb(e, undefined)));
    } catch (err) {
      if (codeOf(err) !== NO_NODE) throw err;
    }
  }

  async read(key: string): Promise<KvHolder | null> {
    return this.lowest(await this.client(), pathOf(key));
  }

  /**
   * The head of the queue, with its path as the handle: once it has claimed the lead, or
   * before that if it is this session's own (a claim whose answer was lost may follow).
   */
  async inspect(key: string): Promise<KvHeld | null> {
    const client = await this.client();
    const dir = pathOf(key);
    let children = queue(await this.children(client, dir));
    for (let attempt = 0; attempt < 5 && children.length > 0; attempt++) {
      const path = `${dir}/${children[0]!}`;
      try {
        const entry = decode(await this.call<Buffer>((cb) => client.getData(path, cb)));
        const holder = { value: entry.value, token: tokenOf(children[0]!) };
        if (entry.state === 'leads' || (await this.owns(client, path))) {
          return { holder, owner: path };
        }
        return null;
      } catch (err) {
        if (codeOf(err) !== NO_NODE) throw err;
        children = queue(await this.children(client, dir));
      }
    }
    return null;
  }

  watch(key: string, listener: (event: KvWatchEvent) => void, options: WatchOptions = {}) {
    const feed = new WatchFeed(listener, () => this.read(key), this.timeoutMs);
    this.feeds.add(feed);
    feed.onEnd(() => this.feeds.delete(feed));
    const dir = pathOf(key);
    const rerun = () => {
      if (feed.active) void run().catch((err) => feed.fail(err));
    };
    const run = async () => {
      const client = await this.client();
      const children = queue(await this.children(client, dir));
      const name = options.owner?.slice(dir.length + 1);
      const at = name === undefined ? -1 : children.indexOf(name);
      if (at > 0) {
        // Queued: only the znode just ahead matters to this candidate.
        feed.push(await this.lowest(client, dir, undefined, () => rerun()));
        const ahead = `${dir}/${children[at - 1]}`;
        const stat = await this.call<unknown>((cb) => client.exists(ahead, () => rerun(), cb));
        if (stat === null) rerun();
        return;
      }
      // A follower, the queue's head, or a candidate whose znode is gone: watch the queue.
      const watched = await this.children(client, dir, () => rerun());
      feed.push(await this.lowest(client, dir, queue(watched), () => rerun()));
    };
    rerun();
    feed.every(options.checkMs);
    return () => feed.end();
  }

  /** The side an election group uses: its session is the group's one lease. */
  group(): KvGroupStore {
    return new ZookeeperGroup({
      store: this,
      client: (ttlMs) => this.client(ttlMs),
      checkGranted,
      ping: async (client) => {
        await this.call<unknown>((cb) => client.exists('/', cb));
      },
      endSession: async (id) => {
        const session = this.session;
        const client = await session?.catch(() => undefined);
        if (client === undefined || this.session !== session) return;
        if (client.getSessionId().toString('hex') !== id) return;
        this.session = undefined;
        for (const feed of [...this.feeds]) feed.fail(new Error('zookeeper session ended'));
        client.close();
      },
    });
  }

  async close(): Promise<void> {
    const session = this.session;
    this.session = undefined;
    if (session !== undefined) (await session.catch(() => undefined))?.close();
  }

  private zk(): Promise<ZkModule> {
    return loadClient<ZkModule & { default?: ZkModule }>('node-zookeeper-client', 'zookeeper').then(
      (mod) => mod.default ?? mod,
    );
  }

  private client(ttlMs?: number): Promise<Client> {
    if (this.session !== undefined) return this.session;
    const session = (async () => {
      const zk = await this.zk();
      const sessionTimeout = this.options.sessionTimeoutMs ?? ttlMs ?? 5000;
      const client = zk.createClient(this.options.connect, { sessionTimeout, spinDelay: 100 });
      guardFrames(client);
      client.on('state', (state: State) => {
        if (state === zk.State.DISCONNECTED || state === zk.State.EXPIRED) {
          forgetWatches(client);
          if (this.session === session) {
            for (const feed of [...this.feeds]) feed.fail(new Error(`zookeeper ${state.name}`));
          }
        }
        // An expired session never comes back: the next call opens a new one.
        if (state === zk.State.EXPIRED && this.session === session) {
          this.session = undefined;
          client.close();
        }
      });
      try {
        await withTimeout(
          new Promise<void>((resolve) => {
            client.once('connected', () => resolve());
            client.connect();
          }),
          // The client keeps trying servers until then; the first session takes a while.
          Math.max(this.timeoutMs, sessionTimeout),
          'zookeeper connect',
        );
      } catch (err) {
        client.close();
        throw err;
      }
      return client;
    })();
    this.session = session;
    session.catch(() => {
      if (this.session === session) this.session = undefined;
    });
    return session;
  }

  private async children(client: Client, dir: string, watcher?: () => void): Promise<string[]> {
    try {
      return await this.call<string[]>((cb) =>
        watcher === undefined ? client.getChildren(dir, cb) : client.getChildren(dir, watcher, cb),
      );
    } catch (err) {
      if (codeOf(err) !== NO_NODE) throw err;
      if (watcher !== undefined) {
        // No candidate yet: wake when the directory appears.
        const stat = await this.call<unknown>((cb) => client.exists(dir, watcher, cb));
        if (stat !== null) watcher();
      }
      return [];
    }
  }

  /**
   * The leader: the head of the queue once it has said it leads; null while the queue is
   * empty or its head has not yet claimed. With `watcher`, an unclaimed head is watched for
   * its claim.
   */
  private async lowest(
    client: Client,
    dir: string,
    known?: string[],
    watcher?: () => void,
  ): Promise<KvHolder | null> {
    let children = known ?? queue(await this.children(client, dir));
    for (let attempt = 0; attempt < 5 && children.length > 0; attempt++) {
      const head = children[0]!;
      const path = `${dir}/${head}`;
      try {
        const data = await this.call<Buffer>((cb) =>
          watcher === undefined ? client.getData(path, cb) : client.getData(path, watcher, cb),
        );
        const entry = decode(data);
        return entry.state === 'leads' ? { value: entry.value, token: tokenOf(head) } : null;
      } catch (err) {
        // The head left between the listing and the read: list again.
        if (codeOf(err) !== NO_NODE) throw err;
        children = queue(await this.children(client, dir));
      }
    }
    return null;
  }

  /** Whether the znode exists and belongs to this client's session (not an abandoned one). */
  private async owns(client: Client, path: string): Promise<boolean> {
    const stat = await this.call<Stat | null>((cb) => client.exists(path, cb));
    return stat?.ephemeralOwner.equals(client.getSessionId()) === true;
  }

  /**
   * A create whose answer was lost (connection loss, timeout) may still have made a znode;
   * this store's tag in the name finds it again instead of queueing a second one.
   */
  private async adopt(client: Client, dir: string, value: string): Promise<string | undefined> {
    const mark = `${PREFIX}${this.tag}_`;
    for (const name of await this.children(client, dir)) {
      if (!name.startsWith(mark)) continue;
      const path = `${dir}/${name}`;
      try {
        if (decode(await this.call<Buffer>((cb) => client.getData(path, cb))).value !== value) {
          continue;
        }
        if (await this.owns(client, path)) return path;
      } catch (err) {
        if (codeOf(err) !== NO_NODE) throw err;
      }
    }
    return undefined;
  }

  private async call<T>(start: (cb: (err: unknown, result: T) => void) => void): Promise<T> {
    const session = this.session;
    try {
      const result = await withTimeout(
        new Promise<T>((resolve, reject) => {
          start((err, result) => (err ? reject(err) : resolve(result)));
        }),
        this.timeoutMs,
        'zookeeper call',
      );
      this.stalls = 0;
      return result;
    } catch (err) {
      if (codeOf(err) === undefined && this.session === session && session !== undefined) {
        if (this.stalls++ === 0) this.stalledSince = performance.now();
        // A busy server (a JVM pause) answers late; only a session silent for a whole
        // session timeout, call after call, is taken to be stuck.
        const client = await session.catch(() => undefined);
        const silentMs = performance.now() - this.stalledSince;
        if (
          client !== undefined &&
          this.session === session &&
          this.stalls >= MAX_STALLS &&
          silentMs >= client.getSessionTimeout()
        ) {
          this.abandon();
        }
      }
      throw err;
    }
  }

  /**
   * After a server restart the client sometimes never gets a request through again, though
   * it believes it is connected. A session that stalls call after call is given up: its
   * znodes go with it, as they would when it expired, and the next call opens a new one.
   */
  private abandon(): void {
    const session = this.session;
    this.session = undefined;
    this.stalls = 0;
    for (const feed of [...this.feeds]) feed.fail(new Error('zookeeper session stalled'));
    // Not closed now: closing deletes its znodes at once, and a leader among them may still
    // be inside its lease. After a session timeout every such lease has run out.
    void session
      ?.then((client) => {
        setTimeout(() => client.close(), client.getSessionTimeout()).unref();
      })
      .catch(() => undefined);
  }
}

/** Calls in a row that time out (over a session timeout at least) before the session is abandoned. */
const MAX_STALLS = 3;

/**
 * node-zookeeper-client throws from its socket handler on a frame it cannot parse (seen
 * after a server restart), which would crash the process. Its own answer to other bad
 * frames is to drop the connection and reconnect; do the same for this one.
 */
function guardFrames(client: Client): void {
  const manager = (client as unknown as { connectionManager?: Record<string, unknown> })
    .connectionManager;
  const original = manager?.onSocketData;
  if (manager === undefined || typeof original !== 'function') return;
  manager.onSocketData = function (this: typeof manager, buffer: Buffer) {
    try {
      return original.call(this, buffer);
    } catch {
      this.pendingBuffer = null;
      (this.socket as { destroy(): void } | undefined)?.destroy();
    }
  };
}

/**
 * Every watch ends when the connection drops (the election watches again once it is back),
 * so the client need not re-register them. It would: and against a restarted server, the
 * client cannot read the answer to that re-registration and reconnects forever.
 */
function forgetWatches(client: Client): void {
  const manager = (client as unknown as { connectionManager?: { watcherManager?: unknown } })
    .connectionManager;
  const watchers = manager?.watcherManager as Record<string, unknown> | undefined;
  if (watchers === undefined) return;
  watchers.dataWatchers = {};
  watchers.childWatchers = {};
  watchers.existenceWatchers = {};
}

/** `service/leader` → `/service/leader`. */
function pathOf(key: string): string {
  const path = `/${key.replace(/^\/+|\/+$/g, '')}`;
  if (path === '/' || path.includes('//')) throw new RangeError(`'${key}' is not a usable key`);
  return path;
}

/** ZooKeeper as the election's store (npm package `node-zookeeper-client`). */
export function zookeeperStore(options: ZookeeperStoreOptions): ZookeeperStore {
  return new ZookeeperStore(options);
}
