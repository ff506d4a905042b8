import { and, assign, cancel, emit, enqueueActions, not, raise, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent, Role } from '../protocol-events.js';
import { allowsMember, isLesAddress, type LesMessage, type LesState } from './messages.js';

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
 * counted as failed changes nothing. Time reaches the machine only as its two timers: the
 * loop, and the quicker confirmation rounds of a node that named itself. A request's age is
 * the sum of the periods it has waited through.
 *
 * The roles are the chart's states. A follower and a leader poll once a loop. A candidate
 * (it named itself, and waits for the other members to name it too) is first `confirming`,
 * asking again every confirmation period, and once its quick rounds are spent `waiting` at
 * the loop rate. Each message kind has its handler; those after which the algorithm checks
 * its election run the check (`checkElection`) and then `announce` what changed, and the
 * eventless transitions carry the node to the role the check left it in.
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

type RequestKind = 'state' | 'ping';

interface Pending {
  target: string;
  kind: RequestKind;
  /** Milliseconds of timer time this request has waited. */
  age: number;
}

interface Deferred {
  to: string;
  rid: number;
  diag: boolean;
  /** The ping whose outcome the answer waits for. */
  pingRid: number;
}

/** What this node last made known: its role and leader to its host, its state to its members. */
interface Announced {
  role: Role;
  leader: string | null;
  /** The leader and the members, as `stateKey` writes them. */
  state: string;
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
  /**
   * Quick confirmation rounds spent on the current wait. An election check that settles on a
   * leader sets it back to 0; one that finds nobody to compare with leaves it as it is.
   */
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
  /**
   * What this node last announced. A step announces whatever it changed, so between steps
   * this matches the role, leader and members above.
   */
  announced: Announced;
}

/** Events an LES machine takes from its transport. */
export type LesEvent = ReceiveEvent<LesMessage>;

/** The loop timer's event: time to age the requests in flight and ask everyone again. */
interface LoopDue {
  type: 'loop.due';
}

type Receive<K extends LesMessage['type'] = LesMessage['type']> = ReceiveEvent<
  Extract<LesMessage, { type: K }>
>;

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
 * The role an LES context stands for: leader, candidate while it awaits confirmation, else
 * follower.
 */
export function lesRole(ctx: Pick<LesContext, 'leader' | 'address' | 'awaiting'>): Role {
  if (ctx.leader === ctx.address) return 'leader';
  return ctx.awaiting ? 'candidate' : 'follower';
}

/*
 * The member bookkeeping. Each helper takes a context and returns the next one, never
 * changing the one it was given; what the change sends or refuses it appends to `out`, in
 * the order it happens.
 */

type Out = LesEmitted[];

/** The leader and the members: what a push tells the other members. */
function stateKey(c: Pick<LesContext, 'leader' | 'members'>): string {
  return `${c.leader ?? ''}\u0000${c.members.join('\u0000')}`;
}

/** The request of `kind` in flight to `target`, if there is one. */
function pendingFor(c: LesContext, target: string, kind: RequestKind): number | undefined {
  for (const [rid, p] of Object.entries(c.pending)) {
    if (p.target === target && p.kind === kind) return Number(rid);
  }
  return undefined;
}

/** Request `rid`, when it is in flight to `from`. */
function requestTo(c: LesContext, rid: number, from: string): Pending | undefined {
  const p = c.pending[rid];
  return p !== undefined && p.target === from ? p : undefined;
}

function withoutRequest(c: LesContext, rid: number): LesContext {
  const pending = { ...c.pending };
  delete pending[rid];
  return { ...c, pending };
}

/** Asks `target` for its state, or pings it; the answer will carry the request's id. */
function request(c: LesContext, target: string, kind: RequestKind, out: Out): LesContext {
  const rid = c.nextRid;
  out.push({
    type: 'send',
    to: target,
    msg: kind === 'state' ? { type: 'state-request', rid, join: true } : { type: 'ping', rid },
  });
  return { ...c, nextRid: rid + 1, pending: { ...c.pending, [rid]: { target, kind, age: 0 } } };
}

/** Asks every member and seed that has no state request in flight. */
function pollAll(c: LesContext, out: Out): LesContext {
  const targets = new Set([...c.members, ...c.seeds]);
  targets.delete(c.address);
  let next = c;
  for (const target of targets) {
    if (pendingFor(next, target, 'state') === undefined) next = request(next, target, 'state', out);
  }
  return next;
}

/** Ages every request by `ms`; the ones past their timeout fail, oldest first. */
function age(c: LesContext, ms: number, out: Out): LesContext {
  const pending: Record<number, Pending> = {};
  const expired: number[] = [];
  for (const [key, p] of Object.entries(c.pending)) {
    const rid = Number(key);
    pending[rid] = { ...p, age: p.age + ms };
    const limit = p.kind === 'state' ? c.timing.stateTimeoutMs : c.timing.pingTimeoutMs;
    if (p.age + ms >= limit) expired.push(rid);
  }
  let next: LesContext = { ...c, pending };
  for (const rid of expired) next = failed(next, rid, out);
  return next;
}

/** Request `rid` got no usable answer: a state request's target is removed, a ping settles. */
function failed(c: LesContext, rid: number, out: Out): LesContext {
  const p = c.pending[rid];
  if (p === undefined) return c;
  const next = withoutRequest(c, rid);
  return p.kind === 'state' ? remove(next, p.target) : settlePing(next, rid, out);
}

/** Drops a member and its state; a removed leader is no longer named. */
function remove(c: LesContext, target: string): LesContext {
  const at = c.members.indexOf(target);
  const members = at > 0 ? c.members.filter((_, i) => i !== at) : c.members;
  const states = { ...c.states };
  delete states[target];
  return { ...c, members, states, leader: c.leader === target ? null : c.leader };
}

function refuse(c: LesContext, address: string, reason: LesRefusal, out: Out): LesContext {
  out.push({ type: 'refused', address, reason });
  return { ...c, refused: { ...c.refused, [reason]: c.refused[reason] + 1 } };
}

/** Whether `address` is this node, a member, or fits in the member list. */
function hasRoomFor(c: LesContext, address: string): boolean {
  return address === c.address || c.members.includes(address) || c.members.length < c.maxMembers;
}

/** Adds a node that answered; refuses it when the member list is full. */
function admit(c: LesContext, address: string, out: Out): [LesContext, boolean] {
  if (address === c.address || c.members.includes(address)) return [c, true];
  if (!hasRoomFor(c, address)) return [refuse(c, address, 'max-members', out), false];
  return [{ ...c, members: [...c.members, address] }, true];
}

/**
 * Pings an address someone named, unless it is known, already being pinged, or refused;
 * returns the ping in flight to it, if any.
 */
function consider(c: LesContext, address: string, out: Out): [LesContext, number | undefined] {
  if (address === c.address || c.members.includes(address)) return [c, undefined];
  const pinging = pendingFor(c, address, 'ping');
  if (pinging !== undefined) return [c, pinging];
  if (!isLesAddress(address)) return [c, undefined];
  if (!allowsMember(c.allowMembers, address) && !c.seeds.includes(address)) {
    return [refuse(c, address, 'not-allowed', out), undefined];
  }
  let pings = 0;
  for (const p of Object.values(c.pending)) if (p.kind === 'ping') pings++;
  if (c.members.length + pings >= c.maxMembers) {
    return [refuse(c, address, 'max-members', out), undefined];
  }
  return [request(c, address, 'ping', out), c.nextRid];
}

/** Keeps a member's state, and considers every node it names. */
function learn(c: LesContext, from: string, state: LesState, out: Out): LesContext {
  let next: LesContext = { ...c, states: { ...c.states, [from]: state } };
  for (const address of state.members) [next] = consider(next, address, out);
  return next;
}

function answer(c: LesContext, to: string, rid: number, diag: boolean, out: Out): void {
  out.push({
    type: 'send',
    to,
    msg: {
      type: 'state',
      rid,
      state: ownState(c),
      ...(diag ? { memberStates: memberStates(c) } : {}),
    },
  });
}

/** Answers the state requests that waited for ping `rid`, whatever its outcome. */
function settlePing(c: LesContext, rid: number, out: Out): LesContext {
  if (!c.deferred.some((d) => d.pingRid === rid)) return c;
  const next = { ...c, deferred: c.deferred.filter((d) => d.pingRid !== rid) };
  for (const d of c.deferred) if (d.pingRid === rid) answer(next, d.to, d.rid, d.diag, out);
  return next;
}

/*
 * One helper per message kind, each on a context that passed the handler's guard.
 */

/**
 * A state request is answered with this node's state. One that asks to join is answered
 * once the requester has answered a ping (so the answer lists it), unless too many wait.
 */
function onStateRequest(c: LesContext, { from, msg }: Receive<'state-request'>, out: Out) {
  const diag = msg.diag === true;
  let next = c;
  let pingRid: number | undefined;
  if (msg.join && from !== c.address && isLesAddress(from)) {
    [next, pingRid] = consider(c, from, out);
  }
  if (pingRid !== undefined && next.deferred.length < MAX_DEFERRED) {
    return { ...next, deferred: [...next.deferred, { to: from, rid: msg.rid, diag, pingRid }] };
  }
  answer(next, from, msg.rid, diag, out);
  return next;
}

/**
 * A pong makes its sender a member, asked for its state at once rather than at the next
 * loop (its state may be what an election waits for); the answers waiting for it go out.
 */
function onPong(c: LesContext, { from, msg }: Receive<'pong'>, out: Out): LesContext {
  const [next, added] = admit(withoutRequest(c, msg.rid), from, out);
  const asked =
    added && pendingFor(next, from, 'state') === undefined
      ? request(next, from, 'state', out)
      : next;
  return settlePing(asked, msg.rid, out);
}

/** An answered state request makes its sender a member, and its state is learned. */
function onState(c: LesContext, { from, msg }: Receive<'state'>, out: Out): LesContext {
  const [next] = admit(withoutRequest(c, msg.rid), from, out);
  return learn(next, from, msg.state, out);
}

/** An answered state request from a node the full member list has no room for. */
function onStateWithoutRoom(c: LesContext, { from, msg }: Receive<'state'>, out: Out) {
  return refuse(withoutRequest(c, msg.rid), from, 'max-members', out);
}

function onPush(c: LesContext, { from, msg }: Receive<'push'>, out: Out): LesContext {
  return learn(c, from, msg.state, out);
}

function onFailedRequest(c: LesContext, { msg }: Receive<'unreachable'>, out: Out) {
  return failed(c, msg.rid!, out);
}

function onLostMember(c: LesContext, { from }: Receive<'unreachable'>): LesContext {
  return remove(c, from);
}

/*
 * The election check.
 */

/**
 * The most senior node this node knows a state for, itself included; undefined while a node
 * that never had a leader has nobody else to compare with (unless it may lead alone).
 */
function nominee(c: LesContext): string | undefined {
  const others = c.members.filter((m) => m !== c.address && c.states[m] !== undefined);
  if (!c.elected && others.length === 0 && !(c.allowAlone && c.looped)) return undefined;
  let best = { address: c.address, start_time: c.startTime };
  for (const m of others) {
    const candidate = { address: m, start_time: c.states[m]!.start_time };
    if (compareSeniority(candidate, best) < 0) best = candidate;
  }
  return best.address;
}

/** Whether this node may take the lead: it holds it, or every other member names it. */
function confirmed(c: LesContext): boolean {
  return (
    c.leader === c.address ||
    c.members.every((m) => m === c.address || c.states[m]?.leader === c.address)
  );
}

/** The new leader's entries, when `leader` is not already the one followed. */
function follow(c: LesContext, leader: string): Partial<LesContext> {
  if (c.leader === leader) return {};
  return {
    leader,
    elected: true,
    changes: c.changes + 1,
    elections: c.elections + (leader === c.address ? 1 : 0),
  };
}

/**
 * The election check, with ties broken by address: another nominee is followed at once;
 * this node leads once confirmed, and awaits confirmation until then.
 */
function electionCheck(c: LesContext): Partial<LesContext> {
  const leader = nominee(c);
  if (leader === undefined) return { awaiting: false };
  if (leader === c.address && !confirmed(c)) return { awaiting: true };
  return { awaiting: false, fastRounds: 0, ...follow(c, leader) };
}

const msgOf = (event: LesEvent | LoopDue): LesMessage | undefined =>
  event.type === 'receive' ? event.msg : undefined;

const awaited = (c: LesContext, event: LesEvent | LoopDue, type: 'pong' | 'state') => {
  const m = msgOf(event);
  if (m?.type !== type) return false;
  const p = requestTo(c, m.rid, (event as LesEvent).from);
  return p?.kind === (type === 'pong' ? 'ping' : 'state');
};

/** What an action hands the next context and its effects to. */
interface Enqueue {
  assign(next: LesContext): void;
  emit(event: LesEmitted): void;
}

/** Runs a bookkeeping helper and commits what it returns and appends, in order. */
function commit(enqueue: Enqueue, before: LesContext, step: (out: Out) => LesContext): void {
  const out: Out = [];
  const next = step(out);
  if (next !== before) enqueue.assign(next);
  for (const e of out) enqueue.emit(e);
}

/** The actions that end a step after which the algorithm checks its election. */
const CHECK = ['checkElection', 'announce'] as const;

/** One loop: requests age, the election is checked, and everyone is asked again. */
const NEXT_LOOP = [
  { type: 'ageRequests', params: { by: 'loopMs' } },
  'markLooped',
  ...CHECK,
  'pollAll',
  'armLoopTimer',
] as const;

/**
 * Leader Election by Seniority as a pure statechart: the most senior member leads once every other
 * member names it.
 */
export const lesMachine = setup({
  types: {
    context: {} as LesContext,
    events: {} as LesEvent | LoopDue,
    input: {} as LesInput,
    emitted: {} as LesEmitted,
  },
  delays: {
    loop: ({ context }) => context.timing.loopMs,
    confirm: ({ context }) => context.timing.confirmMs,
  },
  guards: {
    isStateRequest: ({ event }) => msgOf(event)?.type === 'state-request',
    isPing: ({ event }) => msgOf(event)?.type === 'ping',
    /** The answer to a ping in flight, from the node it went to. */
    isAwaitedPong: ({ context, event }) => awaited(context, event, 'pong'),
    /** The answer to a state request in flight, from the node it went to. */
    isAwaitedState: ({ context, event }) => awaited(context, event, 'state'),
    senderHasRoom: ({ context, event }) => hasRoomFor(context, (event as LesEvent).from),
    /** Only a member's word counts: polling, not pushing, is how a node joins. */
    isPushFromMember: ({ context, event }) => {
      const from = (event as LesEvent).from;
      return (
        msgOf(event)?.type === 'push' && from !== context.address && context.members.includes(from)
      );
    },
    /** The transport could not carry a request in flight, or its answer was unusable. */
    isFailedRequest: ({ context, event }) => {
      const m = msgOf(event);
      return (
        m?.type === 'unreachable' &&
        m.rid !== undefined &&
        requestTo(context, m.rid, (event as LesEvent).from) !== undefined
      );
    },
    /** A member's push connection closed. */
    isLostMember: ({ context, event }) => {
      const m = msgOf(event);
      const from = (event as LesEvent).from;
      return (
        m?.type === 'unreachable' &&
        m.rid === undefined &&
        from !== context.address &&
        context.members.includes(from)
      );
    },
    leads: ({ context }) => context.leader === context.address,
    awaitsConfirmation: ({ context }) => context.awaiting,
    /** Named itself, unconfirmed, with quick rounds left to ask in. */
    fastRoundLeft: ({ context }) => context.awaiting && context.fastRounds < MAX_FAST_ROUNDS,
  },
  actions: {
    answerStateRequest: enqueueActions(({ context, event, enqueue }) =>
      commit(enqueue, context, (out) =>
        onStateRequest(context, event as Receive<'state-request'>, out),
      ),
    ),
    answerPing: emit(({ event }) => {
      const { from, msg } = event as Receive<'ping'>;
      return { type: 'send' as const, to: from, msg: { type: 'pong' as const, rid: msg.rid } };
    }),
    takePong: enqueueActions(({ context, event, enqueue }) =>
      commit(enqueue, context, (out) => onPong(context, event as Receive<'pong'>, out)),
    ),
    takeState: enqueueActions(({ context, event, enqueue }) =>
      commit(enqueue, context, (out) => onState(context, event as Receive<'state'>, out)),
    ),
    refuseSender: enqueueActions(({ context, event, enqueue }) =>
      commit(enqueue, context, (out) =>
        onStateWithoutRoom(context, event as Receive<'state'>, out),
      ),
    ),
    takePush: enqueueActions(({ context, event, enqueue }) =>
      commit(enqueue, context, (out) => onPush(context, event as Receive<'push'>, out)),
    ),
    failRequest: enqueueActions(({ context, event, enqueue }) =>
      commit(enqueue, context, (out) =>
        onFailedRequest(context, event as Receive<'unreachable'>, out),
      ),
    ),
    dropMember: assign(({ context, event }) =>
      onLostMember(context, event as Receive<'unreachable'>),
    ),
    ageRequests: enqueueActions(({ context, enqueue }, params: { by: 'loopMs' | 'confirmMs' }) =>
      commit(enqueue, context, (out) => age(context, context.timing[params.by], out)),
    ),
    markLooped: assign({ looped: true }),
    checkElection: assign(({ context }) => electionCheck(context)),
    /**
     * Tells the host of a new role or leader and, with push on, every member of a new state,
     * in that order, as one step changed them.
     */
    announce: enqueueActions(({ context: c, enqueue }) => {
      const was = c.announced;
      const role = lesRole(c);
      const state = stateKey(c);
      if (role === was.role && c.leader === was.leader && state === was.state) return;
      if (role !== was.role) enqueue.emit({ type: 'role', role, term: c.changes });
      if (c.leader !== was.leader)
        enqueue.emit({ type: 'leader', leader: c.leader, term: c.changes });
      if (c.push && state !== was.state) {
        const own = ownState(c);
        for (const m of c.members) {
          if (m !== c.address)
            enqueue.emit({ type: 'send', to: m, msg: { type: 'push', state: own } });
        }
      }
      enqueue.assign({ announced: { role, leader: c.leader, state } });
    }),
    pollAll: enqueueActions(({ context, enqueue }) =>
      commit(enqueue, context, (out) => pollAll(context, out)),
    ),
    countFastRound: assign({ fastRounds: ({ context }) => context.fastRounds + 1 }),
    armLoopTimer: raise({ type: 'loop.due' }, { id: 'loop', delay: 'loop' }),
    cancelLoopTimer: cancel('loop'),
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
    announced: {
      role: 'follower',
      leader: null,
      state: stateKey({ leader: null, members: [input.address] }),
    },
  }),
  entry: ['pollAll', 'armLoopTimer'],
  on: {
    receive: [
      { guard: 'isStateRequest', actions: 'answerStateRequest' },
      { guard: 'isPing', actions: 'answerPing' },
      { guard: 'isAwaitedPong', actions: ['takePong', ...CHECK] },
      { guard: and(['isAwaitedState', 'senderHasRoom']), actions: ['takeState', ...CHECK] },
      { guard: 'isAwaitedState', actions: 'refuseSender' },
      { guard: 'isPushFromMember', actions: ['takePush', ...CHECK] },
      { guard: 'isFailedRequest', actions: ['failRequest', ...CHECK] },
      { guard: 'isLostMember', actions: ['dropMember', ...CHECK] },
    ],
  },
  initial: 'follower',
  states: {
    follower: {
      on: { 'loop.due': { target: 'follower', actions: NEXT_LOOP } },
      always: [
        { guard: 'leads', target: 'leader' },
        { guard: 'fastRoundLeft', target: 'candidate', actions: 'cancelLoopTimer' },
        // Quick rounds are counted per wait and only reset by an election, so a wait that
        // ended before any election leaves its count to the next one (see fastRounds).
        { guard: 'awaitsConfirmation', target: 'candidate.waiting' },
      ],
    },
    candidate: {
      always: [
        { guard: 'leads', target: 'leader' },
        { guard: not('awaitsConfirmation'), target: 'follower' },
      ],
      initial: 'confirming',
      states: {
        // A node that named itself asks again quickly: the members that have not yet
        // confirmed may have noticed the old leader's death since it last asked.
        confirming: {
          entry: ['countFastRound', 'pollAll'],
          always: {
            guard: not('fastRoundLeft'),
            target: 'waiting',
            actions: ['pollAll', 'armLoopTimer'],
          },
          after: {
            confirm: {
              target: 'confirming',
              reenter: true,
              actions: [
                { type: 'ageRequests', params: { by: 'confirmMs' } },
                'markLooped',
                ...CHECK,
              ],
            },
          },
        },
        waiting: {
          on: { 'loop.due': { target: 'waiting', actions: NEXT_LOOP } },
        },
      },
    },
    leader: {
      on: { 'loop.due': { target: 'leader', actions: NEXT_LOOP } },
      always: { guard: not('leads'), target: 'follower' },
    },
  },
});

export type LesMachine = typeof lesMachine;
