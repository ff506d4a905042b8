import type { AnyStateMachine, EventObject } from 'xstate';
import type { DurableState } from './protocol-definition.js';
import type { Role } from './protocol-events.js';

/**
 * A protocol as the model checker sees it: its machine, how to start a node, what of a
 * snapshot matters, how far to explore, and what must always hold.
 */

/** How far the search goes. Every bound keeps the state space finite. */
export interface CheckBounds {
  /** Cluster size (ids n1…nN). */
  nodes: number;
  /** The highest term (or round) a node may reach; states beyond it are not explored. */
  maxTerm: number;
  /** Faults in one path: each drop, duplicate, crash and restart spends one. */
  maxFaults: number;
  /** Messages in flight at once; a step that would send more is not explored. */
  maxInFlight: number;
  /**
   * Identical messages in flight at once; a further identical send merges with them (the
   * network may deliver one message for several identical sends).
   */
  maxCopies: number;
  /** Whether a discrete clock advances in ticks and timers fire at their deadlines. */
  timed: boolean;
  /** Timed mode: how far (in ticks) a timer may fire before or after its deadline. */
  drift: number;
  /** Stop after this many distinct states (the result then says the search was cut short). */
  maxStates: number;
}

/** Which faults the search may inject (each spends one of `maxFaults`). */
export interface FaultKinds {
  drop: boolean;
  duplicate: boolean;
  crash: boolean;
}

/** One node as an invariant sees it. */
export interface NodeView {
  id: string;
  up: boolean;
  /** The node's machine snapshot (undefined while it is down). */
  snapshot: { value: unknown; context: unknown } | undefined;
  role: Role;
  leader: string | null;
  term: number | undefined;
  /** Timed mode: the node leads and its lease has not run out. */
  leaseValid: boolean;
  /** What the model chose to remember about this node's history (survives crashes). */
  ghost: unknown;
}

/** A message in flight, as an invariant sees it. */
export interface InFlightView {
  from: string;
  to: string;
  msg: unknown;
}

/** The whole cluster at one point of a path. */
export interface ClusterView {
  nodes: NodeView[];
  inFlight: InFlightView[];
  faultsLeft: number;
  timed: boolean;
}

/** A property that must hold in every state the search reaches. */
export interface Invariant {
  name: string;
  /** Only meaningful with a clock (a lease): skipped in untimed mode. */
  timedOnly?: boolean;
  /**
   * Reads nothing but `nodes`: the verdict is then kept per combination of node states,
   * which recur across many cluster states (they differ in messages alone).
   */
  nodesOnly?: boolean;
  /** Undefined when it holds, else what went wrong. */
  check(view: ClusterView): string | undefined;
}

/** Maps node ids for a canonical key; identity unless nodes are reduced by symmetry. */
export type Rename = (id: string) => string;

/** What a model's `input` is given to start (or restart) one node. */
export interface NodeInputArgs {
  id: string;
  ids: readonly string[];
  /** Durable state kept across a crash (from the machine's `persist` events). */
  persisted: DurableState | undefined;
  timed: boolean;
}

/**
 * A protocol as the model checker sees it: its machine, how to start a node, what of a snapshot
 * matters, how far to explore, and what must always hold.
 */
export interface ProtocolModel {
  name: string;
  /** The nodes' ids for a cluster of `count` (default n1…nN). */
  ids?(count: number): string[];
  // biome-ignore lint/suspicious/noExplicitAny: any machine fits; the model knows its own
  logic: AnyStateMachine | any;
  /** The machine input of one node. */
  input(args: NodeInputArgs): unknown;
  /** A node's role, leader and term, read from its snapshot. */
  view(snapshot: never): { role: Role; leader: string | null; term?: number | undefined };
  /**
   * What of a snapshot decides the node's future, with every node id passed through
   * `rename`. Two snapshots with equal abstractions must behave alike, or the search would
   * skip states it never saw. Defaults to the state value and the whole context.
   */
  abstract?(snapshot: never, rename: Rename, timed: boolean): unknown;
  /** False when the snapshot goes past a bound (a term above `maxTerm`, say). */
  withinBounds?(snapshot: never, bounds: CheckBounds): boolean;
  /** History the model tracks per node for its invariants; it is part of the state. */
  ghost?: {
    initial: unknown;
    /** After every step of the node: its new snapshot and the message it just received. */
    update(ghost: never, snapshot: never, received: unknown | undefined): unknown;
    /** The ghost with every node id passed through `rename` (for symmetry reduction). */
    rename?(ghost: never, rename: Rename): unknown;
    /**
     * The ghost without the history no invariant can read again from this node state on (a
     * vote of a term the node has left, say), after each step of the node. Only the reduced
     * search calls it: states that differ in such history alone then count once. It must
     * leave every verdict on every state reachable from here as it was.
     */
    forget?(ghost: never, snapshot: never): unknown;
  };
  /**
   * True when delivering `msg` to this receiver, now or at any later point, would change
   * nothing (a response from a term the receiver has left behind). Such messages leave the
   * network at once: a safe reduction, since delivering them is a no-op and losing them
   * is always possible anyway.
   */
  obsolete?(
    msg: never,
    receiver: { snapshot: unknown | undefined; durable: DurableState | undefined },
  ): boolean;
  /** Messages from outside the cluster (entropy, peer lists), in flight from the start. */
  environment?(ids: readonly string[], bounds: CheckBounds): { to: string; msg: unknown }[];
  invariants: Invariant[];
  /** Nodes are interchangeable up to their ids, so states equal up to renaming are one. */
  symmetric?: boolean;
  /** The lease events of a leader count in timed mode. */
  leased?: boolean;
  /** Bounds this protocol starts from (overridden by the caller's). */
  defaults?: Partial<CheckBounds>;
  /** Faults that make sense for this protocol (default: all). */
  faults?: Partial<FaultKinds>;
  /** Messages summarised for a step list or a diagram (default: compact JSON). */
  describe?(msg: unknown): string;
}

/** Bounds used where neither the model nor the caller sets one. */
export const DEFAULT_BOUNDS: CheckBounds = {
  nodes: 3,
  maxTerm: 3,
  maxFaults: 1,
  maxInFlight: 8,
  maxCopies: 1,
  timed: false,
  drift: 1,
  maxStates: 200_000_000,
};

/** The ids a model gives a cluster of `count` nodes. */
export function clusterIds(model: Pick<ProtocolModel, 'ids'>, count: number): string[] {
  return model.ids?.(count) ?? Array.from({ length: count }, (_, i) => `n${i + 1}`);
}

/** A timer of a node, as XState scheduled it: an id and the event it will raise. */
export interface PendingTimer {
  id: string;
  event: EventObject;
  /** Timed mode: ticks until its deadline (may be negative by up to the drift). */
  remaining: number;
}

/** A message's short form for step lists and diagrams: its type and scalar fields. */
export function describeMessage(msg: unknown): string {
  if (typeof msg !== 'object' || msg === null) return JSON.stringify(msg);
  const m = msg as Record<string, unknown>;
  const fields = Object.entries(m)
    .filter(([k, v]) => k !== 'type' && v !== undefined)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`);
  return [String(m.type ?? '?'), ...fields].join(' ');
}
