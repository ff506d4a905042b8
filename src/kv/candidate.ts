import type { KvOptions } from '../../machines/kv/definition.js';
import { storeSettled } from '../../transports/kv/store-actor.js';
import type { KvStore } from '../../transports/kv/types.js';
import { createElection, type Election, type ElectionStatus } from '../runtime/election.js';
import { EventHub } from '../runtime/event-hub.js';
import { durationMs } from './duration.js';
import { EventStream } from './event-stream.js';

/** Options of `createCandidate`: the KV-lease timing, with the TTL as `ttl`. */
export interface CandidateOptions extends Omit<KvOptions, 'key' | 'ttlMs' | 'follow'> {
  /** The key's lease: milliseconds, or text like '5s' (default 5s). */
  ttl?: number | string;
  /** Seeds the backoff jitter (default: random). */
  seed?: number;
}

/** One change of this candidate's leadership. */
export interface ElectedEvent {
  elected: boolean;
  /** While elected: the fencing token to attach to every write. */
  fencingToken?: number;
  /** While elected: aborts the instant leadership ends. */
  signal?: AbortSignal;
}

interface CandidateEvents {
  elected: ElectedEvent;
  error: Error;
}

/**
 * docker/leadership's Candidate: runs for `key` on `store` as `node` until stopped. It is
 * a thin layer over `createElection({ protocol: 'kv' })`: the same machine, lease clock and
 * leader signal.
 *
 * ```ts
 * const candidate = createCandidate(store, 'service/leader', 'node-a', { ttl: '5s' });
 * for await (const { elected, fencingToken } of candidate.elected()) {
 *   if (elected) startLeading(fencingToken); else stopLeading();
 * }
 * ```
 */
export class Candidate {
  readonly election: Election;
  /** Settles when the candidate has started (it rejects if it could not). */
  readonly ready: Promise<void>;
  private readonly hub = new EventHub<CandidateEvents>();
  private readonly streams = new Set<EventStream<ElectedEvent>>();
  private current: ElectedEvent = { elected: false };
  private stopped = false;

  constructor(
    readonly store: KvStore,
    readonly key: string,
    readonly node: string,
    options: CandidateOptions = {},
  ) {
    const { ttl, ...rest } = options;
    this.election = createElection({
      ...rest,
      protocol: 'kv',
      id: node,
      key,
      store,
      ...(ttl === undefined ? {} : { ttlMs: durationMs('ttl', ttl) }),
    });
    this.election.on('elected', ({ signal, fencingToken }) =>
      this.announce({
        elected: true,
        signal,
        ...(fencingToken === undefined ? {} : { fencingToken }),
      }),
    );
    this.election.on('deposed', () => this.announce({ elected: false }));
    this.election.on('error', (error) => this.hub.emit('error', error));
    this.ready = this.election.start();
    this.ready.catch((error: Error) => {
      this.hub.emit('error', error);
      this.closeStreams();
    });
  }

  /** True only while this candidate holds an unexpired lease on the key. */
  get isLeader(): boolean {
    return this.election.isLeader;
  }

  /** The current fencing token while elected. */
  get fencingToken(): number | undefined {
    return this.isLeader ? this.current.fencingToken : undefined;
  }

  /**
   * Every change of leadership, starting with the state now (`elected: false` at first, as
   * in docker/leadership). Ends when the candidate stops.
   */
  elected(): AsyncIterable<ElectedEvent> {
    const stream = new EventStream<ElectedEvent>(() => this.streams.delete(stream));
    if (this.stopped) {
      stream.close();
      return stream;
    }
    this.streams.add(stream);
    stream.push(this.current);
    return stream;
  }

  /** `'elected'` on each change of leadership; `'error'` for each store failure. */
  on<K extends keyof CandidateEvents>(
    type: K,
    listener: (event: CandidateEvents[K]) => void,
  ): () => void {
    return this.hub.on(type, listener);
  }

  /** Steps down (the key is deleted) and campaigns again if nobody else takes it. */
  resign(): Promise<void> {
    return this.election.resign();
  }

  /** The candidate's view of the election now, as `Election.status()` gives it. */
  status(): ElectionStatus {
    return this.election.status();
  }

  /** Leaves the election, releasing the key if it leads; resolves once the store has it. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.ready.catch(() => undefined);
    await this.election.stop();
    await storeSettled(this.store);
    this.closeStreams();
  }

  private announce(event: ElectedEvent): void {
    this.current = event;
    for (const error of this.hub.emit('elected', event)) this.hub.emit('error', error);
    for (const stream of this.streams) stream.push(event);
  }

  private closeStreams(): void {
    for (const stream of [...this.streams]) stream.close();
  }
}

/** Starts running for `key` as `node` (docker/leadership's NewCandidate + RunForElection). */
export function createCandidate(
  store: KvStore,
  key: string,
  node: string,
  options: CandidateOptions = {},
): Candidate {
  return new Candidate(store, key, node, options);
}
