import { activeStateIds } from '../diagram/statechart.js';
import type { Election } from '../runtime/election.js';
import type { ControlCommand, ControlType } from './control-messages.js';
import type { TimelineEntry } from './timeline.js';
import type { SampledMessage } from './traffic.js';

/** What one card on the page shows about one node. */
export interface NodeCard {
  id: string;
  alive: boolean;
  role: string | null;
  leader: string | null;
  leaders?: string[];
  term: number | null;
  isLeader: boolean;
  /** Ids of every active state of the protocol machine (for the statechart highlight). */
  states: string[];
  /** Each other member and how long ago this node last heard from it (ms), null if never. */
  peers: { id: string; silentMs: number | null }[];
  /** Inbound frames the transport threw away, by reason. */
  dropped: Record<string, number>;
  messages: { sent: number; received: number };
  elections: number;
  errors: number;
}

export interface DashboardHello {
  mode: 'cluster' | 'node';
  title: string;
  protocol: string;
  nodes: string[];
  /** The protocol's statechart as SVG, drawn from the machine (empty if there is none). */
  chart: string;
  controls: ControlType[];
}

/** Everything that changes, sent to the page about ten times a second. */
/** One election of a group, for the page's grid of shards coloured by leader. */
export interface ShardCell {
  name: string;
  leader: string | null;
}

export interface DashboardFrame {
  nodes: NodeCard[];
  /** A group's elections as this member sees them (absent for a single election). */
  shards?: ShardCell[];
  /** Totals per directed link since the start: [from, to, sent, received]. */
  links: [string, string, number, number][];
  /** Faults in force and what they did. */
  faults: {
    groups: string[][];
    links: { from: string; to: string; loss: number; delayMs: number }[];
    counts: { from: string; to: string; dropped: number; delayed: number }[];
  };
  /** Messages seen since the page's last frame (sampled). */
  messages: SampledMessage[];
  timeline: TimelineEntry[];
  messageTotal: number;
}

export interface FrameCursor {
  messages: number;
  timeline: number;
}

/** A cluster (the demo) or a single node (`node --http`) as the dashboard sees it. */
export interface DashboardSource {
  hello(): DashboardHello;
  frame(cursor: FrameCursor): DashboardFrame;
  nodeIds(): ReadonlySet<string>;
  /** Carries out a command; resolves with a line for the page, rejects with a reason. */
  control(command: ControlCommand): Promise<string>;
}

/** A node's card, read from its election's status and its protocol machine's snapshot. */
export function nodeCard(
  id: string,
  election: Pick<Election, 'status' | 'actor'> | undefined,
  machineId: string,
  now = Date.now(),
): NodeCard {
  if (election === undefined) {
    return {
      id,
      alive: false,
      role: null,
      leader: null,
      term: null,
      isLeader: false,
      states: [],
      peers: [],
      dropped: {},
      messages: { sent: 0, received: 0 },
      elections: 0,
      errors: 0,
    };
  }
  const status = election.status();
  const protocolRef = election.actor?.getSnapshot().children.protocol as
    | { getSnapshot(): { value: unknown } }
    | undefined;
  const value = protocolRef?.getSnapshot().value;
  return {
    id,
    alive: true,
    role: status.role,
    leader: status.leader,
    ...(status.leaders === undefined ? {} : { leaders: status.leaders }),
    term: status.term ?? null,
    isLeader: status.isLeader,
    states: value === undefined ? [] : activeStateIds(machineId, value),
    peers: status.members
      .filter((m) => !m.self)
      .map((m) => ({ id: m.id, silentMs: m.lastContact === null ? null : now - m.lastContact })),
    dropped: status.dropped,
    messages: status.messages,
    elections: status.elections,
    errors: status.errors,
  };
}
