export type { BullyOptions } from '../machines/bully/definition.js';
export type { EntropyOptions } from '../machines/entropy/definition.js';
export type { KvOptions } from '../machines/kv/definition.js';
export type { LesOptions } from '../machines/les/definition.js';
export type { ProtocolEmitted, Role } from '../machines/protocol-events.js';
export type { RaftOptions } from '../machines/raft/definition.js';
export type { Tags } from '../machines/raft/messages.js';
export {
  etcdStore,
  type KvHolder,
  type KvStore,
  MissingStoreClientError,
  memoryStore,
  type PostgresStoreOptions,
  postgresStore,
  redisStore,
  storeFromUrl,
  zookeeperStore,
} from '../transports/kv/index.js';
export type { KvStoreKind } from './budget/store-expiry-lag.js';
export {
  type BudgetFigure,
  type BudgetInput,
  budgetLines,
  type TimingBudget,
  timingBudget,
} from './budget/timing-budget.js';
export {
  type ChartEdge,
  type ChartState,
  type Statechart,
  type SvgOptions,
  statechartOf,
  toMermaid,
  toSvg,
} from './diagram/index.js';
export {
  ElectionInputError,
  type ElectionStrategy,
  type ElectLeadersOptions,
  electLeaders,
} from './entropy/index.js';
export {
  createElectionGroup,
  type ElectionGroup,
  type ElectionGroupEvents,
  type ElectionGroupOptions,
  type ElectionGroupStatus,
  type GroupElectionStatus,
  type KvElectionGroupOptions,
  MAX_GROUP_ELECTIONS,
} from './group/index.js';
export {
  createRaftGroup,
  type GroupDropReason,
  type PeerTraffic,
  type RaftGroup,
  type RaftGroupElectionStatus,
  type RaftGroupEvents,
  type RaftGroupOptions,
  type RaftGroupStatus,
} from './group/raft/index.js';
export {
  Candidate,
  type CandidateOptions,
  createCandidate,
  createFollower,
  type ElectedEvent,
  Follower,
  type FollowerOptions,
  type LeaderEvent,
} from './kv/index.js';
export {
  type ElectionMetrics,
  LATENCY_BUCKETS,
  type MetricFamily,
  type MetricSample,
  type MetricType,
  type OtelMeter,
  observeElectionMetrics,
  openTelemetryName,
  PROMETHEUS_CONTENT_TYPE,
  type PromClientRegistry,
  prometheusText,
  registerElectionMetrics,
  type StoreRequestTiming,
} from './metrics/index.js';
export {
  type BullyElectionOptions,
  type ChangeEvent,
  createElection,
  type DeposeReason,
  type Election,
  type ElectionEvents,
  type ElectionOptions,
  type ElectionStatus,
  type EntropyElectionOptions,
  type KvElectionOptions,
  LeadershipLostError,
  type LesElectionOptions,
  type LesRefusal,
  type MemberStatus,
  type PeerConfig,
  type RaftElectionOptions,
  type ResignOptions,
} from './runtime/election.js';
export { CallbackError, type StateCallbacks } from './runtime/state-callbacks.js';
