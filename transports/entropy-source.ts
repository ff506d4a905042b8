import { fromCallback } from 'xstate';
import type { TransportCommand, TransportEvent, TransportInput, TransportLogic } from './types.js';

/** A new round's entropy, or a peer list that applies from a round on. */
export type EntropyReading =
  | { round: number; value: string }
  | { fromRound: number; peers: string[] };

/** Options of `entropySource`. */
export interface EntropyPollOptions {
  /** How often to ask for a new reading (default 1000 ms). */
  intervalMs?: number;
}

type Read = () =>
  | EntropyReading
  | EntropyReading[]
  | undefined
  | Promise<EntropyReading | EntropyReading[] | undefined>;

function toMessage(r: EntropyReading): unknown {
  return 'peers' in r
    ? { type: 'peers', fromRound: r.fromRound, peers: r.peers }
    : { type: 'entropy', round: r.round, value: r.value };
}

/**
 * Feeds an entropy election from `read()`, polled every `intervalMs` (and once at start).
 * Readings pass the protocol's validator like any inbound message; a reading seen before is
 * not sent again; a `read()` that throws becomes a `transport.error`, and polling goes on.
 */
export function entropySource(read: Read, options: EntropyPollOptions = {}): TransportLogic {
  const intervalMs = options.intervalMs ?? 1000;
  if (!Number.isFinite(intervalMs) || intervalMs <= 0) {
    throw new RangeError(`intervalMs must be positive, got ${intervalMs}`);
  }
  return fromCallback<TransportCommand, TransportInput>(({ input, sendBack }) => {
    const back = (e: TransportEvent) => sendBack(e);
    const seen = new Set<string>();
    let stopped = false;
    let busy = false;
    const poll = async () => {
      if (busy || stopped) return;
      busy = true;
      try {
        const got = await read();
        const readings = got === undefined ? [] : Array.isArray(got) ? got : [got];
        for (const r of readings) {
          if (stopped) return;
          const raw = toMessage(r);
          const key = JSON.stringify(raw);
          if (seen.has(key)) continue;
          const msg = input.decode(raw);
          if (msg === undefined) {
            back({ type: 'transport.dropped', reason: 'invalid', from: 'source' });
            continue;
          }
          // Old readings never matter again once a later round is known; keep the set small.
          if (seen.size > 1024) seen.clear();
          seen.add(key);
          back({ type: 'receive', from: 'source', msg });
        }
      } catch (err) {
        if (!stopped) back({ type: 'transport.error', error: asError(err) });
      } finally {
        busy = false;
      }
    };
    const timer = setInterval(poll, intervalMs);
    timer.unref();
    queueMicrotask(() => {
      back({ type: 'transport.ready' });
      void poll();
    });
    return () => {
      stopped = true;
      clearInterval(timer);
    };
  });
}

/** Options of `httpEntropySource`. */
export interface HttpEntropyOptions extends EntropyPollOptions {
  /** An http(s) URL answering JSON `{ "round": n, "randomness": "…" }` (a drand beacon) or `{ "round", "value" }`. */
  url: string;
  /** Per-request timeout (default 5000 ms). */
  timeoutMs?: number;
}

/** Polls an HTTP endpoint for entropy, such as a drand beacon's `/public/latest`. */
export function httpEntropySource(options: HttpEntropyOptions): TransportLogic {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new RangeError(`entropy url must be http or https, got ${options.url}`);
  }
  const timeoutMs = options.timeoutMs ?? 5000;
  return entropySource(async () => {
    const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) throw new Error(`entropy source ${url.href} answered ${res.status}`);
    const body = (await res.json()) as Record<string, unknown>;
    const value = body.randomness ?? body.value;
    return { round: body.round as number, value: value as string };
  }, options);
}

function asError(err: unknown): Error {
  return err instanceof Error ? err : new Error(String(err));
}
