import type { AnyStateMachine } from 'xstate';
import { type DirectedGraphNode, toDirectedGraph } from 'xstate/graph';

export type ChartStateType = 'atomic' | 'compound' | 'parallel' | 'final' | 'history';

/** One state of a statechart, as read from the machine definition. */
export interface ChartState {
  /** Dotted path from the machine's id, e.g. `raft.leader.heartbeat` (what snapshots match). */
  id: string;
  key: string;
  type: ChartStateType;
  /** Key of the initial child (compound states). */
  initial: string | null;
  children: ChartState[];
}

/** A transition that changes state; targetless transitions (actions only) are left out. */
export interface ChartEdge {
  source: string;
  target: string;
  /** The event (`after <delay>` for delayed ones, `always` for eventless ones). */
  event: string;
  /** The guard's name, when the transition has one. */
  guard: string | null;
}

/**
 * A machine's statechart as `statechartOf` reads it: its states and the transitions between them.
 */
export interface Statechart {
  id: string;
  root: ChartState;
  edges: ChartEdge[];
}

interface NodeLike {
  id: string;
  key: string;
  type: string;
  initial?: { target: readonly { key: string }[] } | undefined;
  always?: readonly TransitionLike[] | undefined;
}

interface TransitionLike {
  eventType: string;
  target?: readonly { id: string }[] | undefined;
  guard?: unknown;
  reenter?: boolean;
}

/** Reads a guard's name: named guards, and the `not`/`and`/`or` combinators around them. */
export function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  const g = guard as { type?: unknown; guards?: unknown[]; name?: string };
  if (typeof guard === 'function' && Array.isArray(g.guards)) {
    // XState's combinators are functions named for what they do, holding their operands.
    const inner = g.guards.map((x) => guardName(x) ?? '?');
    if (g.name === 'not') return `!${inner[0] ?? '?'}`;
    if (g.name === 'and') return inner.join(' && ');
    if (g.name === 'or') return inner.join(' || ');
  }
  if (typeof g.type === 'string') return g.type;
  return typeof guard === 'function' && g.name ? g.name : 'guard';
}

/** `xstate.after.heartbeatInterval.raft.leader.heartbeat.beat` reads as `after heartbeatInterval`. */
export function eventLabel(eventType: string): string {
  if (eventType === '') return 'always';
  const after = /^xstate\.after\.([^.]+)\./.exec(eventType);
  return after ? `after ${after[1]}` : eventType;
}

function stateOf(graph: DirectedGraphNode): ChartState {
  const node = graph.stateNode as unknown as NodeLike;
  const type = (['atomic', 'compound', 'parallel', 'final', 'history'] as const).find(
    (t) => t === node.type,
  );
  return {
    id: graph.id,
    key: node.key,
    type: type ?? 'atomic',
    initial: node.initial?.target[0]?.key ?? null,
    children: graph.children.map(stateOf),
  };
}

function collectEdges(graph: DirectedGraphNode, out: ChartEdge[], seen: Set<string>): void {
  const node = graph.stateNode as unknown as NodeLike;
  const transitions: TransitionLike[] = [
    ...graph.edges.map((e) => e.transition as unknown as TransitionLike),
    ...(node.always ?? []),
  ];
  for (const t of transitions) {
    // Targetless transitions run actions and stay put: they are not arrows on a diagram.
    for (const target of t.target ?? []) {
      const edge: ChartEdge = {
        source: graph.id,
        target: target.id,
        event: eventLabel(t.eventType),
        guard: guardName(t.guard),
      };
      const key = `${edge.source}\u0000${edge.target}\u0000${edge.event}\u0000${edge.guard}`;
      if (seen.has(key)) continue;
      seen.add(key);
      out.push(edge);
    }
  }
  for (const child of graph.children) collectEdges(child, out, seen);
}

/** The states and transitions of a machine, read from its definition through `xstate/graph`. */
export function statechartOf(machine: AnyStateMachine): Statechart {
  const graph = toDirectedGraph(machine);
  const edges: ChartEdge[] = [];
  collectEdges(graph, edges, new Set());
  return { id: graph.id, root: stateOf(graph), edges };
}

/** Every state in the chart, parents before children. */
export function allStates(root: ChartState): ChartState[] {
  return [root, ...root.children.flatMap(allStates)];
}

/** The ids of every active state in a snapshot's `value` (`{ leader: { heartbeat: 'beat' } }`). */
export function activeStateIds(machineId: string, value: unknown): string[] {
  const ids = [machineId];
  const walk = (prefix: string, v: unknown): void => {
    if (typeof v === 'string') {
      ids.push(`${prefix}.${v}`);
      return;
    }
    if (v === null || typeof v !== 'object') return;
    for (const [key, sub] of Object.entries(v)) {
      ids.push(`${prefix}.${key}`);
      walk(`${prefix}.${key}`, sub);
    }
  };
  walk(machineId, value);
  return ids;
}
