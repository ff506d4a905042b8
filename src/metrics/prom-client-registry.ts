import type { ElectionMetrics } from './election-metrics.js';
import { type MetricFamily, metricFamilies } from './metric-families.js';

/**
 * The part of a prom-client `Registry` used here. Written out rather than imported, so
 * electorate neither loads prom-client nor needs its types: pass `register` from the
 * prom-client your application already uses.
 */
export interface PromClientRegistry {
  /** Adds a metric to the registry. */
  registerMetric(metric: never): void;
  /** The registered metric of that name, if any. */
  getSingleMetric(name: string): unknown;
  /** Removes the metric of that name. */
  removeSingleMetric(name: string): void;
}

const SOURCES = Symbol('electorate.sources');

/** A metric as prom-client's registry reads it: `get()` answers at every scrape. */
interface Collector {
  name: string;
  help: string;
  type: MetricFamily['type'];
  aggregator: 'sum';
  get(): Promise<{
    name: string;
    help: string;
    type: MetricFamily['type'];
    aggregator: 'sum';
    values: { value: number; labels: Record<string, string>; metricName?: string }[];
  }>;
  reset(): void;
  [SOURCES]: Set<ElectionMetrics>;
}

function collector(family: MetricFamily): Collector {
  const sources = new Set<ElectionMetrics>();
  const { name, help, type } = family;
  return {
    name,
    help,
    type,
    aggregator: 'sum',
    async get() {
      // Each scrape reads every election's status afresh: nothing to keep in step.
      const now = metricFamilies([...sources].map((m) => m.source())).find((f) => f.name === name);
      return {
        name,
        help,
        type,
        aggregator: 'sum',
        values: (now?.samples ?? []).map((s) => ({
          value: s.value,
          labels: s.labels,
          ...(s.suffix === undefined ? {} : { metricName: `${name}${s.suffix}` }),
        })),
      };
    },
    // Values come from the elections; there is nothing here to reset.
    reset() {},
    [SOURCES]: sources,
  };
}

/**
 * Adds an election's metrics to a prom-client registry (several elections may share one:
 * their samples differ in the `name` and `id` labels). Returns a function that takes them
 * out again. Throws if the registry already holds a metric of the same name that is not
 * electorate's.
 */
export function registerElectionMetrics(
  register: PromClientRegistry,
  metrics: ElectionMetrics,
): () => void {
  const joined: Collector[] = [];
  const families = metrics.families();
  for (const family of families) {
    const existing = register.getSingleMetric(family.name) as Collector | undefined;
    if (existing !== undefined && !(SOURCES in existing)) {
      throw new Error(
        `the registry already has a metric named ${family.name} that electorate did not register`,
      );
    }
  }
  for (const family of families) {
    let c = register.getSingleMetric(family.name) as Collector | undefined;
    if (c === undefined) {
      c = collector(family);
      register.registerMetric(c as never);
    }
    c[SOURCES].add(metrics);
    joined.push(c);
  }
  return () => {
    for (const c of joined) {
      c[SOURCES].delete(metrics);
      if (c[SOURCES].size === 0 && register.getSingleMetric(c.name) === c) {
        register.removeSingleMetric(c.name);
      }
    }
    joined.length = 0;
  };
}
