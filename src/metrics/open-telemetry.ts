import type { ElectionMetrics } from './election-metrics.js';
import type { MetricFamily } from './metric-families.js';
import { LATENCY_BUCKETS } from './request-latency.js';

type Attributes = Record<string, string>;

/** An observable instrument, as `@opentelemetry/api` hands it out. */
export type OtelObservable = object;

/**
 * The part of an `@opentelemetry/api` `Meter` used here, written out so electorate loads
 * neither the API nor its types: pass a meter from the OpenTelemetry setup your
 * application already has (`metrics.getMeter('my-service')`).
 */
export interface OtelMeter {
  /** Creates an observable gauge. */
  createObservableGauge(
    name: string,
    options?: { description?: string; unit?: string },
  ): OtelObservable;
  /** Creates an observable counter. */
  createObservableCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): OtelObservable;
  /** Creates a histogram. */
  createHistogram(
    name: string,
    options?: {
      description?: string;
      unit?: string;
      advice?: { explicitBucketBoundaries?: number[] };
    },
  ): {
    /** Records one value. */
    record(value: number, attributes?: Attributes): void;
  };
  /** Registers a callback that observes the given instruments at each collection. */
  addBatchObservableCallback(
    callback: (result: {
      observe(observable: OtelObservable, value: number, attributes?: Attributes): void;
    }) => void,
    observables: OtelObservable[],
  ): void;
  /** Removes a callback added with `addBatchObservableCallback`. */
  removeBatchObservableCallback(
    callback: (result: {
      observe(observable: OtelObservable, value: number, attributes?: Attributes): void;
    }) => void,
    observables: OtelObservable[],
  ): void;
}

/**
 * The OpenTelemetry name of a family: the unit moves to the instrument and counters lose
 * `_total`, which OpenTelemetry's own Prometheus exporter puts back, so both paths end up
 * with the same names on a Prometheus server.
 */
export function openTelemetryName(family: Pick<MetricFamily, 'name' | 'type' | 'unit'>): string {
  let name = family.name;
  if (family.type === 'counter') name = name.replace(/_total$/, '');
  if (family.unit === 'seconds') name = name.replace(/_seconds$/, '');
  return name;
}

/**
 * Reports an election's metrics through an OpenTelemetry meter: gauges and counters as
 * observable instruments read from `status()` at each collection, the store request
 * latency as a histogram recorded as requests settle. Returns a function that stops it.
 */
export function observeElectionMetrics(meter: OtelMeter, metrics: ElectionMetrics): () => void {
  const observables = new Map<string, OtelObservable>();
  let stopRecording = () => {};
  for (const family of metrics.families()) {
    const options = {
      description: family.help,
      ...(family.unit === 'seconds' ? { unit: 's' } : {}),
    };
    const name = openTelemetryName(family);
    if (family.type === 'histogram') {
      const histogram = meter.createHistogram(name, {
        ...options,
        advice: { explicitBucketBoundaries: [...LATENCY_BUCKETS] },
      });
      const { name: election } = metrics;
      stopRecording = metrics.onStoreRequest((t) =>
        histogram.record(t.seconds, {
          name: election,
          id: metrics.source().status.id,
          op: t.op,
          outcome: t.outcome,
        }),
      );
      continue;
    }
    observables.set(
      family.name,
      family.type === 'counter'
        ? meter.createObservableCounter(name, options)
        : meter.createObservableGauge(name, options),
    );
  }
  const callback = (result: {
    observe(observable: OtelObservable, value: number, attributes?: Attributes): void;
  }) => {
    for (const family of metrics.families()) {
      const observable = observables.get(family.name);
      if (observable === undefined) continue;
      for (const sample of family.samples) result.observe(observable, sample.value, sample.labels);
    }
  };
  const list = [...observables.values()];
  meter.addBatchObservableCallback(callback, list);
  return () => {
    stopRecording();
    meter.removeBatchObservableCallback(callback, list);
  };
}
