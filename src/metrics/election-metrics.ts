import type { ElectionStatus } from '../status/election-status.js';
import { type MetricFamily, metricFamilies } from './metric-families.js';
import { prometheusText } from './prometheus-text.js';
import type { RequestLatency, StoreRequestTiming } from './request-latency.js';

/** One election's metrics, read on demand (`election.metrics`). */
export interface ElectionMetrics {
  /** The `name` label: the kv key, else the protocol, unless the election was given one. */
  readonly name: string;
  /** Every family now, computed from `status()` (and the store request histogram). */
  families(): MetricFamily[];
  /** The same in the Prometheus text format, as `GET /metrics` serves it. */
  text(): string;
  /**
   * Calls `listener` as each KV store request settles (never for other protocols), for
   * exporters that record a histogram themselves; returns a function that stops it.
   */
  onStoreRequest(listener: (timing: StoreRequestTiming) => void): () => void;
  /** @internal what `families()` is computed from, so several elections share one scrape. */
  source(): { name: string; status: ElectionStatus; latency?: RequestLatency };
}

export function electionMetrics(
  name: string,
  status: () => ElectionStatus,
  latency?: RequestLatency,
): ElectionMetrics {
  const source = () => ({ name, status: status(), ...(latency === undefined ? {} : { latency }) });
  return {
    name,
    families: () => metricFamilies([source()]),
    text: () => prometheusText(metricFamilies([source()])),
    onStoreRequest: (listener) => latency?.onRequest(listener) ?? (() => {}),
    source,
  };
}
