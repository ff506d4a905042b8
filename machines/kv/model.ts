import type { AnyActorScope, AnyMachineSnapshot, AnyStateMachine, EventObject } from 'xstate';
import type { ClusterView, Invariant, ProtocolModel, Rename } from '../protocol-model.js';
import { type KvLeaseContext, type KvTiming, kvLeaseMachine, kvLeaseRole } from './machine.js';
import { STORE } from './messages.js';
import { type KvStoreContext, kvStoreMachine } from './model-store.js';

/**
 * KV-lease election under the checker: N candidates and the store they contend at, which
 * runs as one more node (a statechart of a TTL-leased key, `kv-store.ts`). The store never
 * crashes here (a real one is durable); messages to and from it are lost, copied and
 * reordered like any other. `maxTerm` bounds the fencing tokens the store hands out, and
 * each candidate's requests (rounds) to four per token.
 */

interface KvSnapshot {
  value: unknown;
  context: KvLeaseContext;
}

const UNTIMED: KvTiming = {
  ttlMs: 5000,
  marginMs: 500,
  renewMs: 1667,
  requestTimeoutMs: 1667,
  backoffMinMs: 100,
  backoffMaxMs: 2000,
};

/** Timed timing, in ticks: the lease trusted for ttl − margin = 4 of the store's 6. */
export const TIMED_KV_TIMING: KvTiming = {
  ttlMs: 6,
  marginMs: 2,
  renewMs: 2,
  requestTimeoutMs: 2,
  backoffMinMs: 1,
  backoffMaxMs: 2,
};

const isStore = (s: { machine?: unknown }) => s.machine === kvStoreMachine;

/** One logic for every node: a candidate's machine, or the store's for the store. */
function clusterLogic(candidate: AnyStateMachine): AnyStateMachine {
  const store = kvStoreMachine as unknown as AnyStateMachine;
  return Object.create(candidate, {
    getInitialSnapshot: {
      value: (scope: AnyActorScope, input: { store?: boolean }) =>
        input?.store === true
          ? store.getInitialSnapshot(scope, input)
          : candidate.getInitialSnapshot(scope, input),
    },
    transition: {
      value: (snapshot: AnyMachineSnapshot, event: EventObject, scope: AnyActorScope) =>
        isStore(snapshot)
          ? store.transition(snapshot, event, scope)
          : candidate.transition(snapshot, event, scope),
    },
    start: {
      value: (snapshot: AnyMachineSnapshot) =>
        isStore(snapshot) ? store.start(snapshot) : candidate.start(snapshot),
    },
  });
}

interface KvGhost {
  /** Fencing tokens this node led with, in order. */
  tokens: number[];
}

export const oneValidLease: Invariant = {
  name: 'never two holders of a valid lease',
  timedOnly: true,
  nodesOnly: true,
  check(view: ClusterView) {
    const holders = view.nodes.filter((n) => n.up && n.leaseValid).map((n) => n.id);
    return holders.length > 1 ? `${holders.join(' and ')} hold a valid lease at once` : undefined;
  },
};

export const tokensIncrease: Invariant = {
  name: 'fencing tokens strictly increase',
  nodesOnly: true,
  check(view: ClusterView) {
    const owner = new Map<number, string>();
    for (const n of view.nodes) {
      const { tokens } = n.ghost as KvGhost;
      for (let i = 0; i < tokens.length; i++) {
        const t = tokens[i]!;
        if (i > 0 && t <= tokens[i - 1]!) {
          return `${n.id} led with token ${tokens[i - 1]} and then with ${t}`;
        }
        const other = owner.get(t);
        if (other !== undefined && other !== n.id)
          return `${other} and ${n.id} both led with token ${t}`;
        owner.set(t, n.id);
      }
    }
    return undefined;
  },
};

/** Options of `kvModel`. */
export interface KvModelOptions {
  /** A variant of the candidates' machine. */
  logic?: AnyStateMachine;
  timedTiming?: KvTiming;
  name?: string;
}

/**
 * The KV-lease model: candidates beside a statechart of the store; pass `logic` to check a variant
 * of the candidates' machine.
 */
export function kvModel(options: KvModelOptions = {}): ProtocolModel {
  const timedTiming = options.timedTiming ?? TIMED_KV_TIMING;
  return {
    name: options.name ?? 'kv',
    logic: clusterLogic(options.logic ?? (kvLeaseMachine as unknown as AnyStateMachine)),
    ids: (count) => [...Array.from({ length: count }, (_, i) => `n${i + 1}`), STORE],
    input: ({ id, ids, timed }) =>
      id === STORE
        ? { store: true, candidates: ids.filter((m) => m !== STORE) }
        : {
            id,
            key: 'leader',
            campaign: true,
            timing: timed ? timedTiming : UNTIMED,
            seed: ids.indexOf(id) + 1,
          },
    view: (s: AnyMachineSnapshot) => {
      if (isStore(s)) return { role: 'follower', leader: null };
      const c = (s as unknown as KvSnapshot).context;
      return { role: kvLeaseRole(s.value), leader: c.leader, term: c.leaderToken ?? undefined };
    },
    abstract: (s: AnyMachineSnapshot, rename: Rename, timed: boolean) => {
      if (isStore(s)) {
        const c = s.context as KvStoreContext;
        return ['store', c.holder, c.tokens, c.owners, c.watches];
      }
      const c = (s as unknown as KvSnapshot).context;
      const name = (id: string | null) => (id === null ? null : rename(id));
      return [
        s.value,
        c.round,
        c.pending,
        c.watchRound,
        c.watchOwner,
        c.owner,
        c.adopted,
        c.discarded,
        c.reconciles,
        c.token,
        name(c.leader),
        c.leaderToken,
        // Failures and the generator only set backoff delays: untimed, delays mean nothing.
        ...(timed ? [c.failures, c.random, c.backoffMs] : []),
      ];
    },
    withinBounds: (s: AnyMachineSnapshot, bounds) => {
      if (isStore(s)) return (s.context as KvStoreContext).tokens <= bounds.maxTerm;
      return (s as unknown as KvSnapshot).context.round <= 4 * (bounds.maxTerm + 1);
    },
    ghost: {
      initial: { tokens: [] } as KvGhost,
      update: (g: KvGhost, s: AnyMachineSnapshot) => {
        if (isStore(s)) return g;
        const token = (s as unknown as KvSnapshot).context.token;
        if (token === null || g.tokens.at(-1) === token) return g;
        return { tokens: [...g.tokens, token] };
      },
    },
    invariants: [oneValidLease, tokensIncrease],
    leased: true,
    // The store is durable; a crash of it would forget every lease at once.
    faults: { crash: false },
    // Timed by default: untimed, every request deadline may fire at any moment, and the
    // space is many times larger for the same bounds.
    defaults: { nodes: 2, maxTerm: 2, maxFaults: 0, maxInFlight: 4, timed: true },
  };
}
