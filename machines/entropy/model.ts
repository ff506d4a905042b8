import type { AnyStateMachine } from 'xstate';
import type {
  CheckBounds,
  ClusterView,
  Invariant,
  ProtocolModel,
  Rename,
} from '../protocol-model.js';
import {
  type ElectFunction,
  type EntropyContext,
  type EntropyMessage,
  entropyMachine,
} from './machine.js';

/**
 * Entropy election under the checker. Nodes never talk: the environment sends every node
 * the same entropy and peer lists, and the network delivers them in any order, or twice.
 * Each node's history is the set of messages it received; the claim is that the leaders
 * are a function of that set alone. Losses and crashes are left out: a node that misses
 * a message (or forgets it) simply knows less, and has nothing to agree with.
 */

interface EntropySnapshot {
  value: unknown;
  context: EntropyContext;
}

/**
 * Per round up to `maxTerm`: one entropy value; round 1 also gets a second, conflicting
 * value (a faulty source), chosen so that for n1…n3 it elects another leader than the true
 * one, or an order-dependent node could pass unnoticed; from round 2 the peer list loses
 * its first member.
 */
export function entropyEnvironment(ids: readonly string[], bounds: CheckBounds): EntropyMessage[] {
  const msgs: EntropyMessage[] = [];
  for (let round = 1; round <= bounds.maxTerm; round++) {
    msgs.push({ type: 'entropy', round, value: `beacon-${round}` });
  }
  if (bounds.maxTerm >= 1) msgs.push({ type: 'entropy', round: 1, value: 'beacon-1-forged' });
  if (bounds.maxTerm >= 2 && ids.length > 1) {
    msgs.push({ type: 'peers', fromRound: 2, peers: ids.slice(1) });
  }
  return msgs;
}

export const sameSetSameLeaders: Invariant = {
  name: 'nodes that received the same messages elect the same leaders',
  nodesOnly: true,
  check(view: ClusterView) {
    const seen = new Map<string, { id: string; leaders: string }>();
    for (const n of view.nodes) {
      if (!n.up || n.snapshot === undefined) continue;
      const c = (n.snapshot as EntropySnapshot).context;
      const leaders = JSON.stringify([c.round, c.elected]);
      const history = JSON.stringify(n.ghost);
      const other = seen.get(history);
      if (other !== undefined && other.leaders !== leaders) {
        return `${other.id} and ${n.id} received the same messages but elected ${other.leaders} and ${leaders}`;
      }
      seen.set(history, { id: n.id, leaders });
    }
    return undefined;
  },
};

/** Options of `entropyModel`: a variant machine, and a name for it. */
export interface EntropyModelOptions {
  logic?: AnyStateMachine;
  name?: string;
}

/**
 * The entropy election's model, electing by `elect` (the shipped rendezvous rule, given by
 * the host); pass `logic` to check a variant of its machine.
 */
export function entropyModelWith(
  elect: ElectFunction,
  options: EntropyModelOptions = {},
): ProtocolModel {
  return {
    name: options.name ?? 'entropy',
    logic: options.logic ?? entropyMachine,
    input: ({ id, ids }) => ({
      id,
      peers: [...ids],
      leaders: 1,
      elect,
    }),
    view: (s: EntropySnapshot) => ({
      role: s.context.elected.includes(s.context.id) ? 'leader' : 'follower',
      leader: s.context.elected[0] ?? null,
      term: s.context.round ?? undefined,
    }),
    abstract: (s: EntropySnapshot, rename: Rename) => {
      const c = s.context;
      return [c.round, c.value, c.elected.map(rename), c.lists.map((l) => [l.fromRound, l.key])];
    },
    environment: (ids, bounds) =>
      ids.flatMap((to) => entropyEnvironment(ids, bounds).map((msg) => ({ to, msg }))),
    ghost: {
      initial: [] as string[],
      update: (received: string[], _s: EntropySnapshot, msg: unknown) => {
        if (msg === undefined) return received;
        const key = JSON.stringify(msg);
        return received.includes(key) ? received : [...received, key].sort();
      },
    },
    invariants: [sameSetSameLeaders],
    faults: { drop: false, crash: false },
    defaults: { maxTerm: 2, maxFaults: 1, maxInFlight: 16 },
  };
}
