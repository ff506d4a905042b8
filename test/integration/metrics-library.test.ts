import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  type MetricData,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { createElection, type Election, memoryStore } from '../../src/index.js';
import { agreedLeader, createNode, localPeers } from './election-cluster.js';
import { Scrape } from './prometheus-scrape.js';
import { waitFor } from './wait-for.js';

const started: Election[] = [];
const providers: MeterProvider[] = [];

afterEach(async () => {
  await Promise.all(started.splice(0).map((e) => e.stop()));
  await Promise.all(providers.splice(0).map((p) => p.shutdown()));
});

function kvCandidate(id: string, store: ReturnType<typeof memoryStore>, extra = {}): Election {
  const election = createElection({
    protocol: 'kv',
    id,
    key: 'jobs/leader',
    ttlMs: 600,
    store,
    ...extra,
  });
  started.push(election);
  return election;
}

/** A histogram series' count (or one bucket's), from prom-client's JSON view. */
async function histogramCount(
  register: Registry,
  labels: Record<string, string>,
  bucket?: string,
): Promise<number | undefined> {
  const family = (await register.getMetricsAsJSON()).find(
    (m) => m.name === 'electorate_store_request_duration_seconds',
  );
  const wanted = bucket === undefined ? '_count' : '_bucket';
  const sample = family?.values.find(
    (v) =>
      (v as { metricName?: string }).metricName?.endsWith(wanted) &&
      (bucket === undefined || v.labels.le === bucket) &&
      Object.entries(labels).every(([k, value]) => v.labels[k] === value),
  );
  return sample?.value;
}

describe('metrics through a prom-client registry', () => {
  it('two kv candidates share one registry; a handover moves the token, changes and latency', async () => {
    const register = new Registry();
    const store = memoryStore();
    const a = kvCandidate('a', store, { register });
    await a.start();
    await waitFor(() => a.isLeader, 5000, 'a to lead');
    const b = kvCandidate('b', store, { register });
    await b.start();
    await waitFor(() => b.status().leader === 'a', 5000, 'b to see a lead');

    const first = Scrape.parse(await register.metrics());
    expect(first.family('leader_election_master_status').metrics).toHaveLength(2);
    expect(first.value('electorate_is_leader', { id: 'a' })).toBe(1);
    expect(first.value('electorate_is_leader', { id: 'b' })).toBe(0);
    const token = first.value('electorate_fencing_token', { id: 'a' })!;
    expect(token).toBe(a.status().fencingToken);
    expect(first.value('electorate_fencing_token', { id: 'b' })).toBeUndefined();
    expect(first.value('electorate_term', { id: 'b' })).toBe(token);
    expect(first.value('electorate_lease_remaining_seconds', { id: 'a' })!).toBeGreaterThan(0);
    // The text parser folds a labelled histogram into one series, so the histogram is read
    // through prom-client's own JSON view of the same registry.
    expect(first.family('electorate_store_request_duration_seconds').type).toBe('HISTOGRAM');
    const acquires = await histogramCount(register, { id: 'a', op: 'acquire', outcome: 'ok' });
    expect(acquires).toBeGreaterThanOrEqual(1);
    expect(await histogramCount(register, { id: 'a', op: 'acquire', outcome: 'ok' }, '+Inf')).toBe(
      acquires,
    );

    const bChanges = first.value('electorate_leader_changes_total', { id: 'b' })!;
    await a.resign();
    await waitFor(() => b.isLeader, 5000, 'b to take over');
    // Renewals go on while b leads, so the histogram keeps growing between scrapes.
    await waitFor(() => (b.status().fencingToken ?? 0) > token, 5000, 'b to hold a newer token');
    const second = Scrape.parse(await register.metrics());
    expect(second.value('electorate_is_leader', { id: 'b' })).toBe(1);
    expect(second.value('electorate_fencing_token', { id: 'b' })!).toBeGreaterThan(token);
    expect(second.value('electorate_leader_changes_total', { id: 'b' })).toBe(bChanges + 1);
    expect(second.value('electorate_elections_won_total', { id: 'b' })).toBe(1);
    expect(await histogramCount(register, { id: 'a', op: 'release' })).toBeGreaterThanOrEqual(1);

    // A stopped election leaves the registry; the other one's metrics stay.
    await a.stop();
    const third = Scrape.parse(await register.metrics());
    expect(third.family('electorate_is_leader').metrics.map((m) => m.labels?.id)).toEqual(['b']);
    await b.stop();
    expect(await register.metrics()).toBe('\n');
  });

  it('refuses a registry that already has a metric of the same name from elsewhere', () => {
    const register = new Registry();
    register.registerMetric({
      name: 'electorate_term',
      help: 'not ours',
      type: 'gauge',
      get: async () => ({ name: 'electorate_term', help: '', type: 'gauge', values: [] }),
      reset() {},
    } as never);
    expect(() => kvCandidate('a', memoryStore(), { register })).toThrow(
      /already has a metric named electorate_term/,
    );
  });
});

function byName(exported: MetricData[][], name: string): MetricData | undefined {
  return exported.at(-1)?.find((m) => m.descriptor.name === name);
}

describe('metrics through an OpenTelemetry MeterProvider', () => {
  it('a raft cluster reports one leader, and a new one with a higher term after it stops', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    providers.push(provider);
    const peers = await localPeers(['n1', 'n2', 'n3']);
    const nodes = peers.map((p) => {
      const meter = provider.getMeter(`electorate-test-${p.id}`);
      const node = createNode('tcp', p.id, peers, { election: { meter } });
      started.push(node);
      return node;
    });
    await Promise.all(nodes.map((n) => n.start()));
    const { leader } = await agreedLeader(nodes, 'a leader', 10_000);

    const collect = async () => {
      await reader.forceFlush();
      return exporter.getMetrics().map((r) => r.scopeMetrics.flatMap((s) => s.metrics));
    };
    // Each node has its own meter, so each family appears once per node's scope.
    const all = (metrics: MetricData[][], name: string) =>
      (metrics.at(-1) ?? [])
        .filter((m) => m.descriptor.name === name)
        .flatMap((m) =>
          m.dataPoints.map((d) => ({ attrs: d.attributes, value: d.value as number })),
        );

    const before = await collect();
    const status = all(before, 'leader_election_master_status');
    expect(status.map((p) => p.value).sort()).toEqual([0, 0, 1]);
    const leading = all(before, 'electorate_is_leader').filter((p) => p.value === 1);
    expect(leading.map((p) => p.attrs.id)).toEqual([leader.status().id]);
    const counter = byName(before, 'electorate_elections_won');
    expect(counter?.dataPointType).toBe(DataPointType.SUM);
    expect(counter?.descriptor.unit).toBe('');
    expect(byName(before, 'electorate_lease_remaining')?.descriptor.unit).toBe('s');
    const term = all(before, 'electorate_term')[0]!.value;
    expect(all(before, 'electorate_term')).toHaveLength(3);

    await leader.stop();
    const survivors = nodes.filter((n) => n !== leader);
    const next = await agreedLeader(survivors, 'a new leader', 10_000);
    const after = await collect();
    const won = all(after, 'electorate_elections_won').filter(
      (p) => p.attrs.id === next.leader.status().id,
    );
    expect(won.map((p) => p.value)).toEqual([1]);
    const terms = all(after, 'electorate_term').filter((p) => p.attrs.id !== leader.status().id);
    for (const t of terms) expect(t.value).toBeGreaterThan(term);
  });

  it('records kv store request latency as an OpenTelemetry histogram', async () => {
    const exporter = new InMemoryMetricExporter(AggregationTemporality.CUMULATIVE);
    const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 60_000 });
    const provider = new MeterProvider({ readers: [reader] });
    providers.push(provider);
    const a = kvCandidate('a', memoryStore(), { meter: provider.getMeter('kv') });
    await a.start();
    await waitFor(() => a.isLeader, 5000, 'a to lead');
    await reader.forceFlush();
    const metrics = exporter
      .getMetrics()
      .at(-1)!
      .scopeMetrics.flatMap((s) => s.metrics);
    const histogram = metrics.find(
      (m) => m.descriptor.name === 'electorate_store_request_duration',
    );
    expect(histogram?.dataPointType).toBe(DataPointType.HISTOGRAM);
    expect(histogram?.descriptor.unit).toBe('s');
    const acquire = histogram!.dataPoints.find((d) => d.attributes.op === 'acquire');
    expect(acquire?.attributes).toMatchObject({ name: 'jobs/leader', id: 'a', outcome: 'ok' });
    expect((acquire!.value as { count: number }).count).toBeGreaterThanOrEqual(1);
    const token = metrics.find((m) => m.descriptor.name === 'electorate_fencing_token');
    expect(token?.dataPoints[0]?.value).toBe(a.status().fencingToken);
  });
});
