import { HTTP_REFUSALS, type HttpRefusals } from '../http/http-refusal.js';
import type { MetricFamily } from './metric-families.js';

/**
 * What the diag server turned away, by reason, as its `/metrics` serves it beside the
 * election's families: the server keeps these counts, not the election.
 */
export function httpRefusalFamily(
  labels: { name: string; id: string },
  counts: HttpRefusals,
): MetricFamily {
  return {
    name: 'electorate_http_refused_total',
    help: 'Requests, connections and dashboard commands the diag server turned away, by reason.',
    type: 'counter',
    samples: HTTP_REFUSALS.map((reason) => ({
      labels: { ...labels, reason },
      value: counts[reason] ?? 0,
    })),
  };
}
