import type { Etcd3, IKeyValue, ITxnResponse } from 'etcd3';
import type { GroupKeepAlive } from './group-types.js';
import { SubscribedGroup } from './subscribed-group.js';
import type { AcquireRequest, AcquireResult, KvHolder, KvStore } from './types.js';
import { withTimeout } from './types.js';

type KeepAliveStream = Awaited<ReturnType<Etcd3['leaseClient']['leaseKeepAlive']>>;

/** What the etcd store lends its group side: its client and its transaction helpers. */
export interface EtcdGroupParts {
  store: KvStore;
  etcd(): Promise<Etcd3>;
  timeoutMs: number;
  createIfAbsent(etcd: Etcd3, key: string, value: string, lease: string): Promise<ITxnResponse>;
  won(res: ITxnResponse, lease: string): AcquireResult | undefined;
  heldBy(res: ITxnResponse): KvHolder | null;
  holderOf(kv: IKeyValue): KvHolder;
  revoke(etcd: Etcd3, lease: string): Promise<void>;
}

/** The first key after every key that starts with `prefix`. */
function prefixEnd(prefix: string): Buffer {
  const end = Buffer.from(prefix);
  end[end.length - 1]! += 1;
  return end;
}

/**
 * etcd's side of an election group: one lease for every key, kept alive on one long-lived
 * keep-alive stream (as etcd3's own lease keep-alive), each key put under it by a
 * create-if-absent transaction, released by a delete guarded by that lease. One prefix watch
 * follows every key, and one range over the prefix is the group read.
 */
export class EtcdGroup extends SubscribedGroup {
  readonly kind = 'etcd';
  private stream: Promise<KeepAliveStream> | undefined;
  private readonly waiting: { resolve(alive: boolean): void; reject(err: Error): void }[] = [];

  constructor(
    private readonly parts: EtcdGroupParts,
    private readonly prefix: string,
  ) {
    super(parts.store, parts.timeoutMs);
  }

  override async grant(ttlMs: number): Promise<string> {
    const etcd = await this.parts.etcd();
    const granted = await etcd.leaseClient.leaseGrant({ TTL: Math.ceil(ttlMs / 1000), ID: 0 });
    return String(granted.ID);
  }

  async keepAlive(lease: string): Promise<GroupKeepAlive> {
    const stream = await this.keepAliveStream();
    try {
      const alive = await withTimeout(
        new Promise<boolean>((resolve, reject) => {
          this.waiting.push({ resolve, reject });
          stream.write({ ID: lease });
        }),
        this.parts.timeoutMs,
        'etcd keep-alive',
      );
      return { alive, lost: [] };
    } catch (err) {
      // Answers match requests by order: after a lost one, the stream starts over.
      this.dropStream(err as Error);
      throw err;
    }
  }

  override async acquire(lease: string, { key, value }: AcquireRequest): Promise<AcquireResult> {
    const etcd = await this.parts.etcd();
    const res = await this.parts.createIfAbsent(etcd, key, value, lease);
    return this.parts.won(res, lease) ?? { acquired: false, holder: this.parts.heldBy(res) };
  }

  override async release(key: string, owner: string): Promise<void> {
    const etcd = await this.parts.etcd();
    const k = Buffer.from(key);
    await etcd.kv.txn({
      compare: [{ key: k, target: 'Lease', result: 'Equal', lease: owner }],
      success: [{ request_delete_range: { key: k } }],
      failure: [],
    });
  }

  async revoke(lease: string): Promise<void> {
    await this.parts.revoke(await this.parts.etcd(), lease);
  }

  async readAll(): Promise<Map<string, KvHolder>> {
    const etcd = await this.parts.etcd();
    const res = await etcd.kv.range({
      key: Buffer.from(this.prefix),
      range_end: prefixEnd(this.prefix),
    });
    return new Map(res.kvs.map((kv) => [kv.key.toString(), this.parts.holderOf(kv)]));
  }

  override async close(): Promise<void> {
    this.dropStream(new Error('the election group is closed'));
    await super.close();
  }

  protected async subscribe(
    deliver: (key: string, holder?: KvHolder | null) => void,
    fail: (err: unknown) => void,
  ): Promise<() => void> {
    const etcd = await this.parts.etcd();
    const watcher = await withTimeout(
      etcd.watch().prefix(this.prefix).create(),
      this.parts.timeoutMs,
      'etcd watch',
    );
    watcher.on('put', (kv) => deliver(kv.key.toString(), this.parts.holderOf(kv)));
    watcher.on('delete', (kv) => deliver(kv.key.toString(), null));
    watcher.on('disconnected', (err) => fail(err));
    watcher.on('error', (err) => fail(err));
    return () => void watcher.cancel().catch(() => undefined);
  }

  private keepAliveStream(): Promise<KeepAliveStream> {
    if (this.stream !== undefined) return this.stream;
    const opening = this.parts.etcd().then((etcd) => etcd.leaseClient.leaseKeepAlive());
    this.stream = opening;
    opening.then(
      (stream) => {
        stream.on('data', (res: { TTL: string }) =>
          this.waiting.shift()?.resolve(Number(res.TTL) > 0),
        );
        stream.on('error', (err: Error) => {
          if (this.stream === opening) this.dropStream(err);
        });
        stream.on('end', () => {
          if (this.stream === opening) this.dropStream(new Error('etcd keep-alive stream ended'));
        });
      },
      () => {
        if (this.stream === opening) this.stream = undefined;
      },
    );
    return opening;
  }

  private dropStream(err: Error): void {
    const stream = this.stream;
    this.stream = undefined;
    for (const waiter of this.waiting.splice(0)) waiter.reject(err);
    void stream?.then((s) => s.end()).catch(() => undefined);
  }
}
