import { and, assign, emit, enqueueActions, not, or, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent, Role } from '../protocol-events.js';
import type { BullyKind, BullyMessage } from './messages.js';

/**
 * The Bully algorithm: the live node with the highest priority leads. Priority is the pid
 * (an unsigned 64-bit integer), ties broken by the address compared byte by byte.
 *
 * Every message goes to everyone (a multicast group, or every known peer), so an OK is not
 * addressed: any OK from a higher node tells an electing node that someone better is alive,
 * which is all it needs to know to stand down.
 *
 * Two rules keep an election to one round and stop storms: a follower that still hears its
 * leader answers a lower node's Election with OK but does not start an election of its
 * own (the leader, if alive, answers for everyone; if dead, the follower's own timeout
 * fires moments later), and a node already electing or awaiting a Coordinator never starts
 * another one because of someone else's Election.
 */

export interface BullyTiming {
  /** How often the leader announces itself. */
  announceMs: number;
  /** A follower that hears no announcement for this long starts an election. */
  leaderTimeoutMs: number;
  /** An electing node that hears no OK from a higher node for this long leads. */
  answerTimeoutMs: number;
  /** A node that got an OK but no Coordinator for this long starts again. */
  coordinatorTimeoutMs: number;
}

/**
 * What a Bully machine is started with: its id, priority (`pid`, `address`), timing and preemption.
 */
export interface BullyInput {
  id: string;
  pid: string;
  address: string;
  timing: BullyTiming;
  /** A higher node that joins takes over (default true); false keeps the sitting leader. */
  preempt?: boolean;
}

export interface BullyLeader {
  id: string;
  pid: string;
  address: string;
}

/** A Bully machine's context: its identity and timing, the leader it follows, and its counters. */
export interface BullyContext {
  id: string;
  pid: string;
  address: string;
  timing: BullyTiming;
  preempt: boolean;
  leader: BullyLeader | null;
  /** Elections this node started. */
  rounds: number;
  /** Messages this node sent, by kind. */
  sent: Record<BullyKind, number>;
}

export type BullyEvent = ReceiveEvent<BullyMessage>;

/** Compares two IPv4 addresses by their bytes, anything else by its UTF-8 bytes. */
function compareAddress(a: string, b: string): number {
  const ba = addressBytes(a);
  const bb = addressBytes(b);
  const n = Math.min(ba.length, bb.length);
  for (let i = 0; i < n; i++) if (ba[i] !== bb[i]) return ba[i]! - bb[i]!;
  return ba.length - bb.length;
}

function addressBytes(address: string): number[] {
  const parts = address.split('.');
  if (parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255)) {
    return parts.map(Number);
  }
  return [...new TextEncoder().encode(address)];
}

/** Positive when (pidA, addressA) outranks (pidB, addressB). */
export function comparePriority(
  a: { pid: string; address: string },
  b: { pid: string; address: string },
): number {
  // Canonical decimal strings: a longer one is larger, equal lengths compare as text.
  if (a.pid.length !== b.pid.length) return a.pid.length - b.pid.length;
  if (a.pid !== b.pid) return a.pid < b.pid ? -1 : 1;
  return compareAddress(a.address, b.address);
}

const outranksMe = (context: BullyContext, m: BullyMessage) => comparePriority(m, context) > 0;

const isKind = (event: BullyEvent, kind: BullyKind) => event.msg.type === kind;

/**
 * The Bully election as a pure statechart: peers' messages arrive as `receive` events, and it emits
 * `send`, `role` and `leader` events.
 */
export const bullyMachine = setup({
  types: {
    context: {} as BullyContext,
    events: {} as BullyEvent,
    input: {} as BullyInput,
    emitted: {} as ProtocolEmitted,
  },
  delays: {
    announce: ({ context }) => context.timing.announceMs,
    leaderTimeout: ({ context }) => context.timing.leaderTimeoutMs,
    answerTimeout: ({ context }) => context.timing.answerTimeoutMs,
    coordinatorTimeout: ({ context }) => context.timing.coordinatorTimeoutMs,
  },
  guards: {
    preempts: ({ context }) => context.preempt,
    electionFromLower: ({ context, event }) =>
      isKind(event, 'election') && !outranksMe(context, event.msg),
    electionFromHigher: ({ context, event }) =>
      isKind(event, 'election') && outranksMe(context, event.msg),
    okFromHigher: ({ context, event }) => isKind(event, 'ok') && outranksMe(context, event.msg),
    coordinatorFromHigher: ({ context, event }) =>
      isKind(event, 'coordinator') && outranksMe(context, event.msg),
    coordinatorFromLower: ({ context, event }) =>
      isKind(event, 'coordinator') && !outranksMe(context, event.msg),
    /**
     * A Coordinator from this node's leader, or from one that outranks it. One from a node
     * below the current leader is left alone: if the leader lives it will re-assert itself,
     * and switching to the lower one and back would make every follower flap.
     */
    coordinatorWorthFollowing: ({ context, event }) => {
      if (!isKind(event, 'coordinator')) return false;
      const leader = context.leader;
      return leader === null || leader.id === event.from || comparePriority(event.msg, leader) > 0;
    },
    hasLeader: ({ context }) => context.leader !== null,
  },
  actions: {
    announceRole: emit(({ context }, params: { role: Role }) => ({
      type: 'role' as const,
      role: params.role,
      term: context.rounds,
    })),
    broadcast: enqueueActions(({ context, enqueue }, params: { kind: BullyKind }) => {
      enqueue.assign({ sent: { ...context.sent, [params.kind]: context.sent[params.kind] + 1 } });
      enqueue.emit({
        type: 'send',
        to: '*',
        msg: { type: params.kind, pid: context.pid, address: context.address },
      });
    }),
    countRound: assign({ rounds: ({ context }) => context.rounds + 1 }),
    followSender: enqueueActions(({ context, event, enqueue }) => {
      const { pid, address } = event.msg;
      const same = context.leader?.id === event.from;
      if (same && context.leader?.pid === pid && context.leader.address === address) return;
      enqueue.assign({ leader: { id: event.from, pid, address } });
      enqueue.emit({ type: 'leader', leader: event.from, term: context.rounds });
    }),
    followSelf: enqueueActions(({ context, enqueue }) => {
      if (context.leader?.id === context.id) return;
      enqueue.assign({ leader: { id: context.id, pid: context.pid, address: context.address } });
      enqueue.emit({ type: 'leader', leader: context.id, term: context.rounds });
    }),
    forgetLeader: enqueueActions(({ context, enqueue }) => {
      if (context.leader === null) return;
      enqueue.assign({ leader: null });
      enqueue.emit({ type: 'leader', leader: null, term: context.rounds });
    }),
  },
}).createMachine({
  id: 'bully',
  context: ({ input }) => ({
    id: input.id,
    pid: input.pid,
    address: input.address,
    timing: input.timing,
    preempt: input.preempt !== false,
    leader: null,
    rounds: 0,
    sent: { election: 0, ok: 0, coordinator: 0 },
  }),
  // A joining node that may take over stands at once, as the classic algorithm does; one
  // that must keep the sitting leader first listens for a whole leader timeout.
  initial: 'joining',
  states: {
    joining: {
      always: [{ guard: 'preempts', target: 'electing' }, { target: 'follower' }],
    },
    follower: {
      entry: { type: 'announceRole', params: { role: 'follower' } },
      initial: 'listening',
      states: {
        listening: {
          after: { leaderTimeout: { target: '#bully.electing', actions: 'forgetLeader' } },
          on: {
            receive: [
              { guard: and(['coordinatorFromLower', 'preempts']), target: '#bully.electing' },
              {
                guard: 'coordinatorWorthFollowing',
                target: 'listening',
                reenter: true,
                actions: 'followSender',
              },
              {
                guard: and(['electionFromLower', 'hasLeader']),
                actions: { type: 'broadcast', params: { kind: 'ok' } },
              },
              {
                guard: 'electionFromLower',
                target: '#bully.electing',
                actions: { type: 'broadcast', params: { kind: 'ok' } },
              },
            ],
          },
        },
      },
    },
    electing: {
      entry: [
        { type: 'announceRole', params: { role: 'candidate' } },
        'countRound',
        { type: 'broadcast', params: { kind: 'election' } },
      ],
      after: { answerTimeout: 'leader' },
      on: {
        receive: [
          { guard: 'okFromHigher', target: 'awaitingCoordinator' },
          { guard: 'coordinatorFromHigher', target: 'follower', actions: 'followSender' },
          // Without preemption a sitting leader that speaks up keeps its place.
          {
            guard: and(['coordinatorFromLower', not('preempts')]),
            target: 'follower',
            actions: 'followSender',
          },
          { guard: 'electionFromLower', actions: { type: 'broadcast', params: { kind: 'ok' } } },
        ],
      },
    },
    awaitingCoordinator: {
      after: { coordinatorTimeout: 'electing' },
      on: {
        receive: [
          // A higher node still electing or answering is alive and at work: wait on rather
          // than start again, or two nodes with different timeouts (multibully's are longer)
          // restart each other's elections forever.
          {
            guard: or(['electionFromHigher', 'okFromHigher']),
            target: 'awaitingCoordinator',
            reenter: true,
          },
          { guard: 'coordinatorFromHigher', target: 'follower', actions: 'followSender' },
          {
            guard: and(['coordinatorFromLower', not('preempts')]),
            target: 'follower',
            actions: 'followSender',
          },
          { guard: 'electionFromLower', actions: { type: 'broadcast', params: { kind: 'ok' } } },
        ],
      },
    },
    leader: {
      entry: [{ type: 'announceRole', params: { role: 'leader' } }, 'followSelf'],
      initial: 'announcing',
      states: {
        announcing: {
          entry: { type: 'broadcast', params: { kind: 'coordinator' } },
          after: { announce: { target: 'announcing', reenter: true } },
          on: {
            receive: [
              // Two leaders (a healed partition): the higher one re-asserts itself at once.
              { guard: 'coordinatorFromLower', target: 'announcing', reenter: true },
              {
                guard: 'electionFromLower',
                target: 'announcing',
                reenter: true,
                actions: { type: 'broadcast', params: { kind: 'ok' } },
              },
              // Without preemption a higher newcomer hears at once that the seat is taken.
              {
                guard: and(['electionFromHigher', not('preempts')]),
                target: 'announcing',
                reenter: true,
              },
              // With it, the leader stands down for the higher node and awaits its
              // Coordinator, as the algorithm says. Announcing on instead would keep
              // restarting multibully's election timer, so it would never take over.
              {
                guard: and(['electionFromHigher', 'preempts']),
                target: '#bully.awaitingCoordinator',
                actions: [{ type: 'announceRole', params: { role: 'candidate' } }, 'forgetLeader'],
              },
            ],
          },
        },
      },
      on: {
        receive: { guard: 'coordinatorFromHigher', target: 'follower', actions: 'followSender' },
      },
    },
  },
});

export type BullyMachine = typeof bullyMachine;

/** The role a bully snapshot stands for. */
export function bullyRole(value: unknown): Role {
  if (value === 'leader' || (typeof value === 'object' && value !== null && 'leader' in value)) {
    return 'leader';
  }
  if (value === 'electing' || value === 'awaitingCoordinator') return 'candidate';
  return 'follower';
}
