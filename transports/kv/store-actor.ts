import { fromCallback } from 'xstate';
import type { KvReply, KvRequest } from '../../machines/kv/messages.js';
import { STORE } from '../../machines/kv/messages.js';
import type { TransportCommand, TransportEvent, TransportInput, TransportLogic } from '../types.js';
import type { KvHolder, KvStore } from './types.js';
import { withTimeout } from './types.js';

/** Options of `kvStoreActor`. */
export interface KvStoreActorOptions {
  /** How long one request may take before it counts as failed (default 2000 ms). */
  timeoutMs?: number;
  /** The election's lease, for stores whose session carries it (default 5000 ms). */
  ttlMs?: number;
  /**
   * Told how long each acquire, renew and release took, as its answer went to the machine
   * (a timeout counts as an error at the timeout). Feeds the request latency histogram.
   */
  onSettled?: (timing: {
    op: 'acquire' | 'renew' | 'release';
    outcome: 'ok' | 'error';
    seconds: number;
  }) => void;
}

/** Connecting may take longer than a request (a JVM store, TLS): at least this long. */
const MIN_CONNECT_MS = 5000;
const RECONNECT_MAX_MS = 5000;

/** Requests still under way per store, so a caller can wait for a release to land. */
const underWay = new WeakMap<KvStore, Set<Promise<unknown>>>();

/** Resolves once every request a store actor sent to `store` has settled. */
export async function storeSettled(store: KvStore): Promise<void> {
  const set = underWay.get(store);
  while (set !== undefined && set.size > 0) await Promise.allSettled([...set]);
}

function track<T>(store: KvStore, promise: Promise<T>): Promise<T> {
  let set = underWay.get(store);
  if (set === undefined) {
    set = new Set();
    underWay.set(store, set);
  }
  const s = set;
  s.add(promise);
  promise.then(
    () => s.delete(promise),
    () => s.delete(promise),
  );
  return promise;
}

const asError = (err: unknown): Error => (err instanceof Error ? err : new Error(String(err)));

/**
 * The KV-lease machine's edge: turns its requests into calls on a KvStore and the results
 * (and watch events) into `receive` events from peer `store`. Every request gets exactly one
 * answer within `timeoutMs`; a failure is answered as `failed` and reported once as a
 * `transport.error`. An acquire that succeeds after its answer went out as a failure is
 * still handed to the machine, under its old round: the machine reconciles it (adopts or
 * releases it), so that one party decides about each handle. Stopping the actor ends its
 * watch and releases every handle it still holds.
 */
export function kvStoreActor(store: KvStore, options: KvStoreActorOptions = {}): TransportLogic {
  const timeoutMs = options.timeoutMs ?? 2000;
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
    throw new RangeError(`timeoutMs must be positive, got ${timeoutMs}`);
  }
  const settled = options.onSettled;
  /** Reports how long `promise` took to settle, without changing what it settles to. */
  const timed = <T>(op: 'acquire' | 'renew' | 'release', promise: Promise<T>): Promise<T> => {
    if (settled === undefined) return promise;
    const start = performance.now();
    const report = (outcome: 'ok' | 'error') => {
      try {
        settled({ op, outcome, seconds: (performance.now() - start) / 1000 });
      } catch {
        // Metrics are an observer: a failing one must not fail the request.
      }
    };
    promise.then(
      () => report('ok'),
      () => report('error'),
    );
    return promise;
  };
  return fromCallback<TransportCommand, TransportInput>(({ input, sendBack, receive }) => {
    let stopped = false;
    let unwatch: (() => void) | undefined;
    /** Handles this actor was given and has not released: key → owners. */
    const held = new Map<string, Set<string>>();
    const hold = (key: string, owner: string) => {
      let set = held.get(key);
      if (set === undefined) {
        set = new Set();
        held.set(key, set);
      }
      set.add(owner);
    };
    const back = (e: TransportEvent) => {
      if (!stopped) sendBack(e);
    };
    const reply = (raw: KvReply) => {
      const msg = input.decode(raw);
      if (msg === undefined) back({ type: 'transport.dropped', reason: 'invalid', from: STORE });
      else back({ type: 'receive', from: STORE, msg });
    };
    const fail = (req: KvRequest, err: unknown) => {
      const error = asError(err);
      reply({ type: 'failed', round: req.round, op: req.type, message: error.message });
      back({ type: 'transport.error', error });
    };
    const release = (key: string, owner: string) => {
      held.get(key)?.delete(owner);
      return track(
        store,
        withTimeout(store.release({ key, owner }), timeoutMs, `${store.kind} release`),
      );
    };
    const run = (req: KvRequest) => {
      switch (req.type) {
        case 'acquire': {
          const call = track(
            store,
            store.acquire({
              key: req.key,
              value: req.value,
              ttlMs: req.ttlMs,
              ...(req.owner === null ? {} : { owner: req.owner }),
            }),
          );
          let answered = false;
          call.then(
            (result) => {
              const owner = result.owner;
              if (stopped) {
                // Nobody is left to decide about this handle.
                if (owner !== undefined) release(req.key, owner).catch(() => undefined);
                return;
              }
              if (owner !== undefined) hold(req.key, owner);
              if (answered) {
                // Too late for its round; a lease won is still news the machine acts on.
                if (result.acquired) {
                  reply({
                    type: 'acquired',
                    round: req.round,
                    owner: result.owner,
                    token: result.token,
                  });
                }
                return;
              }
              reply(
                result.acquired
                  ? { type: 'acquired', round: req.round, owner: result.owner, token: result.token }
                  : {
                      type: 'taken',
                      round: req.round,
                      holder: result.holder,
                      owner: result.owner ?? null,
                    },
              );
            },
            () => undefined,
          );
          timed('acquire', withTimeout(call, timeoutMs, `${store.kind} acquire`)).catch((err) => {
            answered = true;
            if (!stopped) fail(req, err);
          });
          return;
        }
        case 'renew':
          timed(
            'renew',
            track(
              store,
              withTimeout(
                store.renew({ key: req.key, owner: req.owner, ttlMs: req.ttlMs }),
                timeoutMs,
                `${store.kind} renew`,
              ),
            ),
          ).then(
            (ok) => {
              if (!ok) held.get(req.key)?.delete(req.owner);
              reply({ type: ok ? 'renewed' : 'lost', round: req.round });
            },
            (err) => fail(req, err),
          );
          return;
        case 'release':
          timed('release', release(req.key, req.owner)).then(
            () => reply({ type: 'released', round: req.round }),
            (err) => fail(req, err),
          );
          return;
        case 'inspect':
          track<{ holder: KvHolder; owner: string | null } | null>(
            store,
            withTimeout(
              store.inspect?.(req.key) ??
                store
                  .read(req.key)
                  .then((holder) => (holder === null ? null : { holder, owner: null })),
              timeoutMs,
              `${store.kind} read`,
            ),
          ).then(
            (held) =>
              reply({
                type: 'found',
                round: req.round,
                holder: held?.holder ?? null,
                owner: held?.owner ?? null,
              }),
            (err) => fail(req, err),
          );
          return;
        case 'watch': {
          unwatch?.();
          let live = true;
          const stop = store.watch(
            req.key,
            (event) => {
              if (!live) return;
              if (event.type === 'holder') {
                reply({ type: 'holder', round: req.round, holder: event.holder });
              } else {
                live = false;
                fail(req, event.error);
              }
            },
            {
              ...(req.owner === null ? {} : { owner: req.owner }),
              ...(req.checkMs === undefined ? {} : { checkMs: req.checkMs }),
            },
          );
          unwatch = () => {
            live = false;
            stop();
          };
          return;
        }
        case 'unwatch':
          unwatch?.();
          unwatch = undefined;
          return;
      }
    };
    receive((command) => {
      if (stopped || command.type !== 'send') return;
      const req = command.msg as KvRequest;
      try {
        run(req);
      } catch (err) {
        // A store that throws instead of rejecting is still a failed request, not a crash.
        fail(req, err);
      }
    });
    // Ready at once (the election runs while the store is away); the machine waits for
    // `connected` before its first request, and each failed attempt is one error.
    queueMicrotask(() => back({ type: 'transport.ready' }));
    let retry: NodeJS.Timeout | undefined;
    const connect = async (attempt: number) => {
      if (stopped) return;
      try {
        const open = store.connect?.(options.ttlMs ?? 5000);
        if (open !== undefined) {
          await withTimeout(open, Math.max(timeoutMs, MIN_CONNECT_MS), `${store.kind} connect`);
        }
        reply({ type: 'connected', round: 0 });
      } catch (err) {
        if (stopped) return;
        back({ type: 'transport.error', error: asError(err) });
        retry = setTimeout(
          () => void connect(attempt + 1),
          Math.min(RECONNECT_MAX_MS, 100 * 2 ** attempt),
        );
        retry.unref();
      }
    };
    queueMicrotask(() => void connect(0));
    return () => {
      clearTimeout(retry);
      stopped = true;
      unwatch?.();
      for (const [key, owners] of held) {
        for (const owner of owners) release(key, owner).catch(() => undefined);
      }
      held.clear();
    };
  });
}
