import type { MetricSample } from './metric-families.js';

/** One KV store request as it settled. */
export interface StoreRequestTiming {
  op: 'acquire' | 'renew' | 'release';
  /** `error` covers a refusal by the store and a request that timed out. */
  outcome: 'ok' | 'error';
  seconds: number;
}

/** Upper bounds in seconds: loopback stores answer in about a millisecond, a stuck one times out. */
export const LATENCY_BUCKETS = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
] as const;

interface Series {
  buckets: number[];
  sum: number;
  count: number;
}

/**
 * The store request latency histogram. A histogram cannot be read back from a status, so
 * this is the one thing the metrics count themselves: every request the store actor timed.
 */
export class RequestLatency {
  private readonly series = new Map<string, Series>();
  private readonly listeners = new Set<(timing: StoreRequestTiming) => void>();

  /** Bound, so it can be handed to the store actor as it is. */
  readonly record = (timing: StoreRequestTiming): void => {
    const key = `${timing.op}\u0000${timing.outcome}`;
    let s = this.series.get(key);
    if (s === undefined) {
      s = { buckets: LATENCY_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    LATENCY_BUCKETS.forEach((le, i) => {
      if (timing.seconds <= le) s.buckets[i]!++;
    });
    s.sum += timing.seconds;
    s.count++;
    for (const listener of this.listeners) {
      try {
        listener(timing);
      } catch {
        // A metrics exporter that throws must not take the store actor down with it.
      }
    }
  };

  /** Calls `listener` with every request from now on; returns a function that stops it. */
  onRequest(listener: (timing: StoreRequestTiming) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The `_bucket`, `_sum` and `_count` samples, with `labels` on each. */
  samples(labels: Record<string, string>): MetricSample[] {
    const out: MetricSample[] = [];
    for (const [key, s] of [...this.series].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const [op, outcome] = key.split('\u0000') as [string, string];
      const own = { ...labels, op, outcome };
      LATENCY_BUCKETS.forEach((le, i) => {
        out.push({ labels: { ...own, le: String(le) }, value: s.buckets[i]!, suffix: '_bucket' });
      });
      out.push({ labels: { ...own, le: '+Inf' }, value: s.count, suffix: '_bucket' });
      out.push({ labels: own, value: s.sum, suffix: '_sum' });
      out.push({ labels: own, value: s.count, suffix: '_count' });
    }
    return out;
  }
}
