import { assign, enqueueActions, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent } from '../protocol-events.js';
import { isWireCounter } from '../wire-bounds.js';

/**
 * Election from shared entropy, in rounds. No node talks to another: each hears the same
 * entropy (a block hash, a beacon value) and the same peer lists, and computes the same
 * leaders. The state after any set of events is a function of that set alone, not of the
 * order the events arrived in:
 *
 * - the current round is the highest round that has entropy; if two values arrive for
 *   one round (a faulty source), the greater one counts and the conflict is counted;
 * - a peer list applies from its `fromRound` on; for equal `fromRound` the list that sorts
 *   greater (as JSON) counts;
 * - the leaders are `elect(peers in force at the current round, leaders, entropy)`.
 */

export type EntropyMessage =
  | { type: 'entropy'; round: number; value: string }
  | { type: 'peers'; fromRound: number; peers: string[] };

/** A pure election function: the same arguments always give the same leaders. */
export type ElectFunction = (peers: readonly string[], n: number, entropy: string) => string[];

/** What an entropy machine is started with. */
export interface EntropyInput {
  id: string;
  /** The peer list in force from round 0. */
  peers: string[];
  /** How many leaders each round elects. */
  leaders: number;
  elect: ElectFunction;
}

interface PeerList {
  fromRound: number;
  peers: string[];
  key: string;
}

/** An entropy machine's context: the peer lists, the current round's value and its leaders. */
export interface EntropyContext {
  id: string;
  leaders: number;
  elect: ElectFunction;
  /** Lists sorted by `fromRound`; lists superseded before the current round are pruned. */
  lists: PeerList[];
  round: number | null;
  value: string | null;
  elected: string[];
  /** Two different values for one round: the source is not trustworthy. */
  conflicts: number;
  /** Why the current round elected nobody (for example, an empty peer list). */
  problem: string | null;
}

export type EntropyEvent = ReceiveEvent<EntropyMessage>;

const MAX_ID_CHARS = 256;
const MAX_PEERS = 100_000;
const MAX_VALUE_CHARS = 4096;

const isRound = isWireCounter;

/** Validates an inbound entropy or peer-list message. */
export function decodeEntropyMessage(raw: unknown): EntropyMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type === 'entropy') {
    if (!isRound(m.round) || typeof m.value !== 'string') return undefined;
    if (m.value.length === 0 || m.value.length > MAX_VALUE_CHARS) return undefined;
    return { type: 'entropy', round: m.round, value: m.value };
  }
  if (m.type === 'peers') {
    if (!isRound(m.fromRound) || !Array.isArray(m.peers) || m.peers.length > MAX_PEERS) {
      return undefined;
    }
    const ok = m.peers.every(
      (p): p is string => typeof p === 'string' && p.length > 0 && p.length <= MAX_ID_CHARS,
    );
    return ok ? { type: 'peers', fromRound: m.fromRound, peers: [...m.peers] } : undefined;
  }
  return undefined;
}

function listFor(lists: PeerList[], round: number): PeerList | undefined {
  let found: PeerList | undefined;
  for (const l of lists) if (l.fromRound <= round) found = l;
  return found;
}

function addList(lists: PeerList[], fromRound: number, peers: string[]): PeerList[] {
  const key = JSON.stringify(peers);
  const same = lists.find((l) => l.fromRound === fromRound);
  if (same !== undefined && same.key >= key) return lists;
  const next = lists.filter((l) => l.fromRound !== fromRound);
  next.push({ fromRound, peers, key });
  return next.sort((a, b) => a.fromRound - b.fromRound);
}

/** Keeps the list in force at `round` and every later one; older lists can never matter again. */
function prune(lists: PeerList[], round: number): PeerList[] {
  const current = listFor(lists, round);
  return lists.filter((l) => l.fromRound > round || l === current);
}

/**
 * Election from shared entropy as a pure statechart: entropy and peer lists arrive as `receive`
 * events; every node that received the same ones elects the same leaders.
 */
export const entropyMachine = setup({
  types: {
    context: {} as EntropyContext,
    events: {} as EntropyEvent,
    input: {} as EntropyInput,
    emitted: {} as ProtocolEmitted | { type: 'leaders'; round: number; leaders: string[] },
  },
  guards: {
    isEntropy: ({ event }) => event.msg.type === 'entropy',
    isPeers: ({ event }) => event.msg.type === 'peers',
  },
  actions: {
    recordEntropy: assign(({ context, event }) => {
      const m = event.msg as Extract<EntropyMessage, { type: 'entropy' }>;
      if (context.round !== null && m.round < context.round) return {};
      if (context.round === m.round) {
        if (context.value === m.value) return {};
        const conflicts = context.conflicts + 1;
        return m.value > (context.value ?? '') ? { value: m.value, conflicts } : { conflicts };
      }
      return { round: m.round, value: m.value, lists: prune(context.lists, m.round) };
    }),
    recordPeers: assign(({ context, event }) => {
      const m = event.msg as Extract<EntropyMessage, { type: 'peers' }>;
      const lists = addList(context.lists, m.fromRound, m.peers);
      return { lists: context.round === null ? lists : prune(lists, context.round) };
    }),
    /** Recomputes this round's leaders and announces them only when they changed. */
    decide: enqueueActions(({ context, enqueue }) => {
      if (context.round === null || context.value === null) return;
      const list = listFor(context.lists, context.round);
      let elected: string[] = [];
      let problem: string | null = null;
      try {
        elected = context.elect(list?.peers ?? [], context.leaders, context.value);
      } catch (err) {
        problem = err instanceof Error ? err.message : String(err);
      }
      if (problem !== context.problem) enqueue.assign({ problem });
      const same =
        elected.length === context.elected.length &&
        elected.every((id, i) => id === context.elected[i]);
      if (same) return;
      const wasLeader = context.elected.includes(context.id);
      const isLeader = elected.includes(context.id);
      enqueue.assign({ elected });
      enqueue.emit({ type: 'leaders', round: context.round, leaders: elected });
      enqueue.emit({ type: 'leader', leader: elected[0] ?? null, term: context.round });
      if (wasLeader !== isLeader) {
        enqueue.emit({ type: 'role', role: isLeader ? 'leader' : 'follower', term: context.round });
      }
    }),
  },
}).createMachine({
  id: 'entropy',
  context: ({ input }) => ({
    id: input.id,
    leaders: input.leaders,
    elect: input.elect,
    lists: addList([], 0, input.peers),
    round: null,
    value: null,
    elected: [],
    conflicts: 0,
    problem: null,
  }),
  initial: 'electing',
  states: {
    electing: {
      on: {
        receive: [
          { guard: 'isEntropy', actions: ['recordEntropy', 'decide'] },
          { guard: 'isPeers', actions: ['recordPeers', 'decide'] },
        ],
      },
    },
  },
});

export type EntropyMachine = typeof entropyMachine;
