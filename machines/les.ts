import { enqueueActions, not, setup } from 'xstate';
import { allowsMember, isLesAddress, type LesMessage, type LesState } from './les-messages.js';
import type { ProtocolEmitted, ReceiveEvent, Role } from './protocol-events.js';

/**
 * Leader Election by Seniority: the live member that started first leads.
 *
 * Each loop a node asks every member and every seed for its state; whoever answers is a
 * member, whoever fails to answer is removed, and members named in an answer are added
 * once they answer a ping. Then the election check: the most senior node known (smallest
 * start_time, then the smaller address) is the nominee. A node accepts another nominee at
 * once; it names itself only when every other member already names it, or when it has no
 * other member left.
 *
 * Requests carry an id and are answered by id, so a late answer to a request that already
 * counted as failed changes nothing. Time reaches the machine only as its loop timer: a
 * request's age is the sum of the loop periods it has waited through.
 */

export interface LesTiming {
  /** How often every member and seed is asked for its state. */
  loopMs: number;
  /** A state request unanswered for this long fails, and its target is removed. */
  stateTimeoutMs: number;
  /** A ping unanswered for this long fails, and its target is not added. */
  pingTimeoutMs: number;
  /** How often a node that named itself asks the members that have not yet confirmed. */
  confirmMs: number;
}

/** What an LES machine is started with. */
export interface LesInput {
  /** This node's advertised address, which is also its id. */
  address: string;
  /** Addresses asked every loop whether they are members or not. */
  seeds: readonly string[];
  /** When this node started, in seconds since the epoch (read by the runtime, not here). */
  startTime: number;
  timing: LesTiming;
  /** A node that hears from nobody may lead alone after its first loop (default false). */
  allowAlone?: boolean;
  /** Hosts, IP addresses or CIDR networks members must match; empty allows any. */
  allowMembers?: readonly string[];
  /** The most members (this node included) this node keeps (default 64). */
  maxMembers?: number;
  /** Send our state to every member whenever it changes (default true). */
  push?: boolean;
}

/**
 * Why an address was not taken as a member: outside the allowed rules, or the member list is full.
 */
export type LesRefusal = 'not-allowed' | 'max-members';

/** An address this node would not take as a member, and why. */
export interface LesRefusedEvent {
  type: 'refused';
  address: string;
  reason: LesRefusal;
}

/** What an LES machine emits: the events of every protocol, and refusals. */
export type LesEmitted = ProtocolEmitted | LesRefusedEvent;

interface Pending {
  target: string;
  kind: 'state' | 'ping';
  /** Milliseconds of loop time this request has waited. */
  age: number;
}

interface Deferred {
  to: string;
  rid: number;
  diag: boolean;
  /** The ping whose outcome the answer waits for. */
  pingRid: number;
}

/** An LES machine's context: its members, their states, the leader, and the requests in flight. */
export interface LesContext {
  address: string;
  seeds: string[];
  startTime: number;
  timing: LesTiming;
  allowAlone: boolean;
  allowMembers: string[];
  maxMembers: number;
  push: boolean;
  /** This node first, then the others in the order they were added. */
  members: string[];
  /** The last state each other member gave. */
  states: Record<string, LesState>;
  leader: string | null;
  /** Whether this node has ever had a leader: the first election waits for another node. */
  elected: boolean;
  /** Named itself and waits for the other members to name it too. */
  awaiting: boolean;
  /** Quick confirmation rounds spent on the current wait. */
  fastRounds: number;
  /** Whether the first loop has gone by (an allowAlone node leads alone only after it). */
  looped: boolean;
  nextRid: number;
  pending: Record<number, Pending>;
  deferred: Deferred[];
  /** Times the leader changed. */
  changes: number;
  /** Times this node took the lead itself. */
  elections: number;
  refused: Record<LesRefusal, number>;
}

/** Events an LES machine takes from its transport. */
export type LesEvent = ReceiveEvent<LesMessage>;

/** The most members a node keeps, itself included, unless told otherwise. */
export const DEFAULT_MAX_MEMBERS = 64;
/** Quick rounds per wait for confirmation; after that the node polls at the loop rate. */
const MAX_FAST_ROUNDS = 20;
/** Answers held back until a requester's ping settles; beyond this they go at once. */
const MAX_DEFERRED = 256;

/** This node's own state, as the reference implementation serves it at `GET /state`. */
export function ownState(ctx: LesContext): LesState {
  return { members: [...ctx.members], leader: ctx.leader ?? false, start_time: ctx.startTime };
}

/** Every state this node holds, its own included (the reference's member_states). */
export function memberStates(ctx: LesContext): Record<string, LesState> {
  return { [ctx.address]: ownState(ctx), ...ctx.states };
}

/** Negative when `a` is more senior than `b`: it started earlier, or at once with a smaller address. */
export function compareSeniority(
  a: { address: string; start_time: number },
  b: { address: string; start_time: number },
): number {
  if (a.start_time !== b.start_time) return a.start_time < b.start_time ? -1 : 1;
  if (a.address === b.address) return 0;
  return a.address < b.address ? -1 : 1;
}

/**
 * One step of the node, applied to a draft of its context: handlers mutate the draft and
 * collect what to emit, and the machine's single action commits both.
 */
class Step {
  readonly out: LesEmitted[] = [];
  readonly ctx: LesContext;
  private readonly before: string;

  constructor(ctx: LesContext) {
    this.ctx = {
      ...ctx,
      members: [...ctx.members],
      states: { ...ctx.states },
      pending: { ...ctx.pending },
      deferred: [...ctx.deferred],
      refused: { ...ctx.refused },
    };
    this.before = stateKey(ctx);
  }

  send(to: string, msg: LesMessage): void {
    this.out.push({ type: 'send', to, msg });
  }

  request(target: string, kind: Pending['kind']): number {
    const rid = this.ctx.nextRid++;
    this.ctx.pending[rid] = { target, kind, age: 0 };
    this.send(
      target,
      kind === 'state' ? { type: 'state-request', rid, join: true } : { type: 'ping', rid },
    );
    return rid;
  }

  pendingFor(target: string, kind: Pending['kind']): number | undefined {
    for (const [rid, p] of Object.entries(this.ctx.pending)) {
      if (p.target === target && p.kind === kind) return Number(rid);
    }
    return undefined;
  }

  /** Asks every member and seed that has no request in flight. */
  pollAll(): void {
    const { ctx } = this;
    const targets = new Set([...ctx.members, ...ctx.seeds]);
    targets.delete(ctx.address);
    for (const target of targets) {
      if (this.pendingFor(target, 'state') === undefined) this.request(target, 'state');
    }
  }

  /** Ages every request by `ms`; the ones past their timeout fail. */
  age(ms: number): void {
    const { ctx } = this;
    for (const [key, p] of Object.entries(ctx.pending)) {
      const rid = Number(key);
      const aged = { ...p, age: p.age + ms };
      ctx.pending[rid] = aged;
      const limit = p.kind === 'state' ? ctx.timing.stateTimeoutMs : ctx.timing.pingTimeoutMs;
      if (aged.age >= limit) this.failed(rid);
    }
  }

  /** Request `rid` got no usable answer. */
  failed(rid: number): void {
    const p = this.ctx.pending[rid];
    if (p === undefined) return;
    delete this.ctx.pending[rid];
    if (p.kind === 'state') this.remove(p.target);
    else this.settlePing(rid);
  }

  remove(target: string): void {
    const { ctx } = this;
    const at = ctx.members.indexOf(target);
    if (at > 0) ctx.members.splice(at, 1);
    delete ctx.states[target];
    if (ctx.leader === target) ctx.leader = null;
  }

  refuse(address: string, reason: LesRefusal): void {
    this.ctx.refused[reason]++;
    this.out.push({ type: 'refused', address, reason });
  }

  /** Pings an address someone named, unless it is known, already being pinged, or refused. */
  consider(address: string): number | undefined {
    const { ctx } = this;
    if (address === ctx.address || ctx.members.includes(address)) return undefined;
    const pinging = this.pendingFor(address, 'ping');
    if (pinging !== undefined) return pinging;
    if (!isLesAddress(address)) return undefined;
    if (!allowsMember(ctx.allowMembers, address) && !ctx.seeds.includes(address)) {
      this.refuse(address, 'not-allowed');
      return undefined;
    }
    const pings = Object.values(ctx.pending).filter((p) => p.kind === 'ping').length;
    if (ctx.members.length + pings >= ctx.maxMembers) {
      this.refuse(address, 'max-members');
      return undefined;
    }
    return this.request(address, 'ping');
  }

  /** Adds a node that answered; false when the member list is full. */
  add(address: string): boolean {
    const { ctx } = this;
    if (address === ctx.address || ctx.members.includes(address)) return true;
    if (ctx.members.length >= ctx.maxMembers) {
      this.refuse(address, 'max-members');
      return false;
    }
    ctx.members.push(address);
    return true;
  }

  learn(from: string, state: LesState): void {
    this.ctx.states[from] = state;
    for (const address of state.members) this.consider(address);
  }

  answer(to: string, rid: number, diag: boolean): void {
    const { ctx } = this;
    this.send(to, {
      type: 'state',
      rid,
      state: ownState(ctx),
      ...(diag ? { memberStates: memberStates(ctx) } : {}),
    });
  }

  /** Answers the requests that waited for ping `rid`, whatever its outcome. */
  settlePing(rid: number): void {
    const ready = this.ctx.deferred.filter((d) => d.pingRid === rid);
    if (ready.length === 0) return;
    this.ctx.deferred = this.ctx.deferred.filter((d) => d.pingRid !== rid);
    for (const d of ready) this.answer(d.to, d.rid, d.diag);
  }

  /** The seed's election check, with ties broken by address. */
  electionCheck(): void {
    const { ctx } = this;
    const others = ctx.members.filter((m) => m !== ctx.address && ctx.states[m] !== undefined);
    if (!ctx.elected && others.length === 0 && !(ctx.allowAlone && ctx.looped)) {
      ctx.awaiting = false;
      return;
    }
    let nominee = { address: ctx.address, start_time: ctx.startTime };
    for (const m of others) {
      const candidate = { address: m, start_time: ctx.states[m]!.start_time };
      if (compareSeniority(candidate, nominee) < 0) nominee = candidate;
    }
    const self = nominee.address === ctx.address;
    const confirmed =
      !self ||
      ctx.leader === ctx.address ||
      ctx.members.every((m) => m === ctx.address || ctx.states[m]?.leader === ctx.address);
    ctx.awaiting = self && !confirmed;
    if (!ctx.awaiting) ctx.fastRounds = 0;
    if (confirmed) this.follow(nominee.address);
  }

  follow(leader: string | null): void {
    const { ctx } = this;
    if (ctx.leader === leader) return;
    ctx.leader = leader;
    ctx.elected = true;
    ctx.changes++;
    if (leader === ctx.address) ctx.elections++;
  }

  /** Emits role and leader changes and, when our state changed, pushes it to every member. */
  finish(previous: LesContext): void {
    const { ctx } = this;
    const role = lesRole(ctx);
    if (role !== lesRole(previous)) this.out.push({ type: 'role', role, term: ctx.changes });
    if (ctx.leader !== previous.leader) {
      this.out.push({ type: 'leader', leader: ctx.leader, term: ctx.changes });
    }
    if (ctx.push && stateKey(ctx) !== this.before) {
      const state = ownState(ctx);
      for (const m of ctx.members) if (m !== ctx.address) this.send(m, { type: 'push', state });
    }
  }
}

function stateKey(ctx: LesContext): string {
  return `${ctx.leader ?? ''}\u0000${ctx.members.join('\u0000')}`;
}

/**
 * The role an LES context stands for: leader, candidate while it awaits confirmation, else
 * follower.
 */
export function lesRole(ctx: Pick<LesContext, 'leader' | 'address' | 'awaiting'>): Role {
  if (ctx.leader === ctx.address) return 'leader';
  return ctx.awaiting ? 'candidate' : 'follower';
}

type Handler = (step: Step, event: LesEvent | { type: string }) => void;

const tick =
  (ms: (ctx: LesContext) => number): Handler =>
  (step) => {
    step.age(ms(step.ctx));
    step.ctx.looped = true;
    step.electionCheck();
  };

const onReceive: Handler = (step, event) => {
  if (event.type !== 'receive') return;
  const { from, msg } = event as LesEvent;
  const { ctx } = step;
  switch (msg.type) {
    case 'state-request': {
      const join = msg.join && from !== ctx.address && isLesAddress(from);
      const pingRid = join ? step.consider(from) : undefined;
      if (pingRid !== undefined && ctx.deferred.length < MAX_DEFERRED) {
        ctx.deferred.push({ to: from, rid: msg.rid, diag: msg.diag === true, pingRid });
      } else {
        step.answer(from, msg.rid, msg.diag === true);
      }
      return;
    }
    case 'ping':
      step.send(from, { type: 'pong', rid: msg.rid });
      return;
    case 'pong': {
      const p = ctx.pending[msg.rid];
      if (p === undefined || p.kind !== 'ping' || p.target !== from) return;
      delete ctx.pending[msg.rid];
      // Asked at once rather than at the next loop: its state may be what an election waits for.
      if (step.add(from) && step.pendingFor(from, 'state') === undefined)
        step.request(from, 'state');
      step.settlePing(msg.rid);
      break;
    }
    case 'state': {
      const p = ctx.pending[msg.rid];
      if (p === undefined || p.kind !== 'state' || p.target !== from) return;
      delete ctx.pending[msg.rid];
      if (from === ctx.address) return;
      if (!step.add(from)) return;
      step.learn(from, msg.state);
      break;
    }
    case 'push':
      // Only a member's word counts: polling, not pushing, is how a node joins.
      if (from === ctx.address || !ctx.members.includes(from)) return;
      step.learn(from, msg.state);
      break;
    case 'unreachable':
      if (msg.rid !== undefined) {
        const p = ctx.pending[msg.rid];
        if (p === undefined || p.target !== from) return;
        step.failed(msg.rid);
      } else if (ctx.members.includes(from) && from !== ctx.address) {
        step.remove(from);
      } else {
        return;
      }
      break;
  }
  step.electionCheck();
};

const HANDLERS = {
  pollAll: (step: Step) => step.pollAll(),
  loopTick: tick((ctx) => ctx.timing.loopMs),
  confirmTick: tick((ctx) => ctx.timing.confirmMs),
  countFastRound: (step: Step) => {
    step.ctx.fastRounds++;
  },
  receive: onReceive,
} satisfies Record<string, Handler>;

type Op = keyof typeof HANDLERS;

/** Runs one handler on a draft of the context; returns the new context and what to emit. */
function apply(context: LesContext, event: LesEvent, op: Op): Step {
  const step = new Step(context);
  HANDLERS[op](step, event);
  step.finish(context);
  return step;
}

/**
 * Leader Election by Seniority as a pure statechart: the most senior member leads once every other
 * member names it.
 */
export const lesMachine = setup({
  types: {
    context: {} as LesContext,
    events: {} as LesEvent,
    input: {} as LesInput,
    emitted: {} as LesEmitted,
  },
  delays: {
    loop: ({ context }) => context.timing.loopMs,
    confirm: ({ context }) => context.timing.confirmMs,
  },
  guards: {
    shouldConfirm: ({ context }) => context.awaiting && context.fastRounds < MAX_FAST_ROUNDS,
  },
  actions: {
    apply: enqueueActions(({ context, event, enqueue }, params: { op: Op }) => {
      const step = apply(context, event, params.op);
      enqueue.assign(step.ctx);
      for (const e of step.out) enqueue.emit(e);
    }),
  },
}).createMachine({
  id: 'les',
  context: ({ input }) => ({
    address: input.address,
    seeds: [...new Set(input.seeds)],
    startTime: input.startTime,
    timing: input.timing,
    allowAlone: input.allowAlone === true,
    allowMembers: [...(input.allowMembers ?? [])],
    maxMembers: input.maxMembers ?? DEFAULT_MAX_MEMBERS,
    push: input.push !== false,
    members: [input.address],
    states: {},
    leader: null,
    elected: false,
    awaiting: false,
    fastRounds: 0,
    looped: false,
    nextRid: 1,
    pending: {},
    deferred: [],
    changes: 0,
    elections: 0,
    refused: { 'not-allowed': 0, 'max-members': 0 },
  }),
  on: { receive: { actions: { type: 'apply', params: { op: 'receive' } } } },
  initial: 'polling',
  states: {
    polling: {
      entry: { type: 'apply', params: { op: 'pollAll' } },
      always: { guard: 'shouldConfirm', target: 'confirming' },
      after: {
        loop: {
          target: 'polling',
          reenter: true,
          actions: { type: 'apply', params: { op: 'loopTick' } },
        },
      },
    },
    // A node that named itself asks again quickly: the members that have not yet confirmed
    // may have noticed the old leader's death since it last asked.
    confirming: {
      entry: [
        { type: 'apply', params: { op: 'countFastRound' } },
        { type: 'apply', params: { op: 'pollAll' } },
      ],
      always: { guard: not('shouldConfirm'), target: 'polling' },
      after: {
        confirm: {
          target: 'confirming',
          reenter: true,
          actions: { type: 'apply', params: { op: 'confirmTick' } },
        },
      },
    },
  },
});

export type LesMachine = typeof lesMachine;
