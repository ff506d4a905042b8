import { randomBytes } from 'node:crypto';
import type { KvOptions } from '../../machines/kv/definition.js';
import type { KvStore } from '../../transports/kv/types.js';
import { createElection, type Election } from '../runtime/election.js';
import { EventHub } from '../runtime/event-hub.js';
import { durationMs } from './duration.js';
import { EventStream } from './event-stream.js';

/** Options of `createFollower`. */
export interface FollowerOptions extends Omit<KvOptions, 'key' | 'ttlMs' | 'follow'> {
  /** How often to re-check when the store cannot be watched (default 5s). */
  ttl?: number | string;
  seed?: number;
}

/** The leader now (its id, or null while nobody holds the key) and its fencing token. */
export interface LeaderEvent {
  leader: string | null;
  fencingToken?: number;
}

interface FollowerEvents {
  leader: LeaderEvent;
  error: Error;
}

/**
 * docker/leadership's Follower: watches `key` and reports each new leader, without ever
 * standing. A store failure is an `'error'` event; the follower keeps trying and reports
 * the leader again once the store is back.
 *
 * ```ts
 * const follower = createFollower(store, 'service/leader');
 * for await (const leader of follower.leaders()) console.log(`${leader} now leads`);
 * ```
 */
export class Follower {
  readonly election: Election;
  readonly ready: Promise<void>;
  private readonly hub = new EventHub<FollowerEvents>();
  private readonly streams = new Set<EventStream<string | null>>();
  private current: LeaderEvent = { leader: null };
  private known = false;
  private stopped = false;

  constructor(
    readonly store: KvStore,
    readonly key: string,
    options: FollowerOptions = {},
  ) {
    const { ttl, ...rest } = options;
    this.election = createElection({
      ...rest,
      protocol: 'kv',
      id: `follower-${randomBytes(6).toString('hex')}`,
      key,
      store,
      follow: true,
      ...(ttl === undefined ? {} : { ttlMs: durationMs('ttl', ttl) }),
    });
    this.election.on('change', ({ leader, term }) => {
      // Until the store has answered, "no leader" only means "not asked yet".
      if (this.election.status().messages.received === 0) return;
      if (this.known && leader === this.current.leader) return;
      this.known = true;
      this.current = {
        leader,
        ...(leader === null || term === undefined ? {} : { fencingToken: term }),
      };
      for (const error of this.hub.emit('leader', this.current)) this.hub.emit('error', error);
      for (const stream of this.streams) stream.push(leader);
    });
    this.election.on('error', (error) => this.hub.emit('error', error));
    this.ready = this.election.start();
    this.ready.catch((error: Error) => this.hub.emit('error', error));
  }

  /** The leader as last reported by the store (null: none, or not known yet). */
  get leader(): string | null {
    return this.current.leader;
  }

  /** Each new leader, starting with the current one once the store has answered. */
  leaders(): AsyncIterable<string | null> {
    const stream = new EventStream<string | null>(() => this.streams.delete(stream));
    if (this.stopped) {
      stream.close();
      return stream;
    }
    this.streams.add(stream);
    if (this.known) stream.push(this.current.leader);
    return stream;
  }

  /** Adds a listener for `leader` or `error` events; returns a function that removes it. */
  on<K extends keyof FollowerEvents>(
    type: K,
    listener: (event: FollowerEvents[K]) => void,
  ): () => void {
    return this.hub.on(type, listener);
  }

  /** Stops watching and ends every `leaders()` stream. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.ready.catch(() => undefined);
    await this.election.stop();
    for (const stream of [...this.streams]) stream.close();
  }
}

/** Follows the election on `key` (docker/leadership's NewFollower + FollowElection). */
export function createFollower(
  store: KvStore,
  key: string,
  options: FollowerOptions = {},
): Follower {
  return new Follower(store, key, options);
}
