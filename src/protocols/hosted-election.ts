import type { AnyActorLogic, InspectionEvent } from 'xstate';
import type { ProtocolDefinition } from '../../machines/protocol-definition.js';
import type { Tags } from '../../machines/raft/messages.js';
import type { DropReason, TransportLogic } from '../../transports/types.js';
import type { OtelMeter } from '../metrics/open-telemetry.js';
import type { PromClientRegistry } from '../metrics/prom-client-registry.js';
import type { RequestLatency } from '../metrics/request-latency.js';

/** A member of a Raft or Bully cluster, as `peers` lists it. */
export interface PeerConfig {
  id: string;
  /** Where the transport reaches this peer (HOST:PORT for TCP and WebSocket). */
  address: string;
  /** The peer follows but never votes or stands. */
  noVote?: boolean;
  tags?: Tags;
}

/** Options every protocol's election takes. */
export interface CommonOptions {
  id: string;
  /** goelect's enter/leave callbacks for leader, follower and candidate. */
  callbacks?: StateCallbacks;
  /** How long a callback may run before it is reported as an error (default 5000 ms). */
  callbackTimeoutMs?: number;
  /** Passed to XState's createActor so any inspector can watch the node. */
  inspect?: (event: InspectionEvent) => void;
  /** Seeds the machine's timeouts (default: a random seed). */
  seed?: number;
  /** The election's `name` label in metrics (default: the kv key, else the protocol). */
  name?: string;
  /** A prom-client registry (`register` from prom-client) to add this election's metrics to. */
  register?: PromClientRegistry;
  /** An OpenTelemetry meter to report this election's metrics through. */
  meter?: OtelMeter;
}

/** What an emitted effect of the protocol's own asks of the runtime. */
export interface EffectReport {
  /** Count one inbound frame or member thrown away, for this reason. */
  dropped?: DropReason;
  /** Run the application's callback for it (a throw becomes an `'error'` event). */
  notify?: () => void;
}

/**
 * What the runtime needs to host one election, beyond the machine: worked out once from the
 * election's options by the protocol's definition, so the runtime itself never asks which
 * protocol it runs.
 */
export interface HostedElection {
  /** The members as configured (the list a protocol that discovers members starts from). */
  peers: PeerConfig[];
  /** The actor at the node's edge: a transport, an entropy source or a store. */
  edge: TransportLogic;
  /** Store request latency, where the edge is a store. */
  latency?: RequestLatency;
  /** This node as a member of its own list, when it is not listed among the peers. */
  self?: { address?: string; voter?: boolean; tags?: Tags };
  /** Where term and vote survive a restart, for a protocol that keeps them. */
  dataDir?: string;
  /** The metrics `name` label when the options give none. */
  name: string;
  /** Protocol-specific effects the runtime must act on (an LES refusal). */
  onEffect?(effect: { type: string }): EffectReport | undefined;
}

/** goelect's six state callbacks. Each may be async; none can stop or stall the node. */
export interface StateCallbacks {
  /** Called when this node becomes leader. */
  enterLeader?: () => unknown;
  /** Called when this node stops being leader. */
  leaveLeader?: () => unknown;
  /** Called when this node becomes a follower. */
  enterFollower?: () => unknown;
  /** Called when this node stops being a follower. */
  leaveFollower?: () => unknown;
  /** Called when this node becomes a candidate. */
  enterCandidate?: () => unknown;
  /** Called when this node stops being a candidate. */
  leaveCandidate?: () => unknown;
}

/**
 * A protocol's definition with how `createElection` hosts it: members, edge actor, durable
 * state and the rest, from the election's options (checked already). The simulator and the
 * checker run the definition alone and bring their own.
 */
export interface HostedProtocol<TOptions, TLogic extends AnyActorLogic, TElectionOptions>
  extends ProtocolDefinition<TOptions, TLogic> {
  hosted(options: TElectionOptions): HostedElection;
}
