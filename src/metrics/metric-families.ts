import { DROP_REASONS } from '../../transports/types.js';
import type { ElectionStatus } from '../status/election-status.js';
import type { RequestLatency } from './request-latency.js';

/** A metric family's type, as Prometheus names it. */
export type MetricType = 'gauge' | 'counter' | 'histogram';

/** One line of a family: its labels and value (`suffix` is `_bucket`, `_sum` or `_count`). */
export interface MetricSample {
  labels: Record<string, string>;
  value: number;
  suffix?: '_bucket' | '_sum' | '_count';
}

/** A metric as Prometheus sees it: a name, a help text, a type and its samples. */
export interface MetricFamily {
  name: string;
  help: string;
  type: MetricType;
  /** The unit the name ends in, for exporters that carry it apart (OpenTelemetry). */
  unit?: 'seconds';
  samples: MetricSample[];
}

/** What the families are computed from: the node's status and its store request timings. */
export interface MetricSource {
  /** The election's name: client-go's `name` label (the kv key, else the protocol). */
  name: string;
  status: ElectionStatus;
  /** Only for elections that talk to a KV store. */
  latency?: RequestLatency;
}

const ROLES = ['leader', 'candidate', 'follower'] as const;

const gauge = (
  name: string,
  help: string,
  samples: MetricSample[],
  unit?: 'seconds',
): MetricFamily => ({ name, help, type: 'gauge', samples, ...(unit ? { unit } : {}) });
const counter = (name: string, help: string, samples: MetricSample[]): MetricFamily => ({
  name,
  help,
  type: 'counter',
  samples,
});

/**
 * Every metric of one or more elections, read from their status at this instant: nothing
 * here keeps a count of its own, so a scrape can never disagree with `/diag`.
 */
export function metricFamilies(sources: readonly MetricSource[]): MetricFamily[] {
  const each = (sample: (s: MetricSource, base: Record<string, string>) => MetricSample[]) =>
    sources.flatMap((s) => sample(s, { name: s.name, id: s.status.id }));
  const one = (value: (status: ElectionStatus) => number | undefined) =>
    each((s, labels) => {
      const v = value(s.status);
      return v === undefined ? [] : [{ labels, value: v }];
    });
  const leased = sources.filter((s) => s.status.protocol === 'raft' || s.status.protocol === 'kv');
  const families: MetricFamily[] = [
    gauge(
      'leader_election_master_status',
      'Whether this node is the leader (1) or not (0), as client-go reports it.',
      // client-go labels it by name alone; the id keeps two candidates of one name, in one
      // process, apart, and queries that match on name work either way.
      each((s, labels) => [{ labels, value: s.status.isLeader ? 1 : 0 }]),
    ),
    gauge(
      'electorate_info',
      'Always 1: which protocol an election runs.',
      each((s, labels) => [{ labels: { ...labels, protocol: s.status.protocol }, value: 1 }]),
    ),
    gauge(
      'electorate_is_leader',
      'Whether this node may act as leader now (1) or not (0).',
      one((st) => (st.isLeader ? 1 : 0)),
    ),
    gauge(
      'electorate_role',
      'The role this node is in (1) and the ones it is not in (0).',
      each((s, labels) =>
        ROLES.map((role) => ({
          labels: { ...labels, role },
          value: s.status.role === role ? 1 : 0,
        })),
      ),
    ),
    gauge(
      'electorate_term',
      'The Raft term, the Bully round, the entropy round or the kv holder’s fencing token.',
      one((st) => st.term),
    ),
    gauge(
      'electorate_members',
      'Members this node knows of, itself included.',
      one((st) => st.members.length),
    ),
    counter(
      'electorate_leader_changes_total',
      'Times the leader this node knows of became a different member.',
      one((st) => st.leaderChanges),
    ),
    counter(
      'electorate_elections_started_total',
      'Candidacies (or rounds) this node started.',
      one((st) => st.elections),
    ),
    counter(
      'electorate_elections_won_total',
      'Times this node became leader.',
      one((st) => st.electionsWon),
    ),
    counter(
      'electorate_messages_sent_total',
      'Protocol messages this node sent.',
      one((st) => st.messages.sent),
    ),
    counter(
      'electorate_messages_received_total',
      'Protocol messages this node received and accepted.',
      one((st) => st.messages.received),
    ),
    counter(
      'electorate_frames_dropped_total',
      'Inbound frames thrown away, by reason.',
      each((s, labels) =>
        DROP_REASONS.map((reason) => ({
          labels: { ...labels, reason },
          value: s.status.dropped[reason] ?? 0,
        })),
      ),
    ),
    counter(
      'electorate_errors_total',
      'Errors reported as error events (transport, store, callbacks).',
      one((st) => st.errors),
    ),
    gauge(
      'electorate_lease_remaining_seconds',
      'Time left on the leader’s lease (Raft) or key TTL (kv); 0 when this node holds none.',
      leased.flatMap((s) => [
        {
          labels: { name: s.name, id: s.status.id },
          value: (s.status.leaseRemainingMs ?? 0) / 1000,
        },
      ]),
      'seconds',
    ),
    gauge(
      'electorate_fencing_token',
      'The fencing token this node holds while it leads (kv).',
      one((st) => st.fencingToken),
    ),
    gauge(
      'electorate_peer_last_contact_timestamp_seconds',
      'When this node last heard from each member (Unix time), for members ever heard.',
      each((s, labels) =>
        s.status.members.flatMap((m) =>
          m.lastContact === null
            ? []
            : [{ labels: { ...labels, peer: m.id }, value: m.lastContact / 1000 }],
        ),
      ),
      'seconds',
    ),
    gauge(
      'electorate_start_time_seconds',
      'When this node started (Unix time).',
      one((st) => (st.startedAt === null ? undefined : Date.parse(st.startedAt) / 1000)),
      'seconds',
    ),
  ];
  const timed = sources.filter((s) => s.latency !== undefined);
  if (timed.length > 0) {
    families.push({
      name: 'electorate_store_request_duration_seconds',
      help: 'How long KV store requests took, by operation and outcome.',
      type: 'histogram',
      unit: 'seconds',
      samples: timed.flatMap((s) => s.latency!.samples({ name: s.name, id: s.status.id })),
    });
  }
  return families;
}
