export type { ElectionMetrics } from './election-metrics.js';
export type { MetricFamily, MetricSample, MetricType } from './metric-families.js';
export { type OtelMeter, observeElectionMetrics, openTelemetryName } from './open-telemetry.js';
export { type PromClientRegistry, registerElectionMetrics } from './prom-client-registry.js';
export { PROMETHEUS_CONTENT_TYPE, prometheusText } from './prometheus-text.js';
export { LATENCY_BUCKETS, type StoreRequestTiming } from './request-latency.js';
