import type { ProtocolDefinition } from '../protocol-definition.js';
import {
  DEFAULT_MAX_MEMBERS,
  type LesInput,
  type LesTiming,
  lesMachine,
  lesRole,
} from './machine.js';
import { allowsMember, decodeLesMessage, isLesAddress, isMemberRule } from './messages.js';

/** LES's own options (see `LesElectionOptions` for the rest). */
export interface LesOptions {
  /** This node's advertised `host:port` (default: its id, which should be that address). */
  address?: string;
  /** Addresses asked every loop, members or not; this node's own may be among them. */
  seeds?: string[];
  /** When this node started, seconds since the epoch (default: now). Smaller leads. */
  startTime?: number;
  /** Seconds between loops (the reference's --loop-rate); loopMs wins when both are given. */
  loopRate?: number;
  /** Milliseconds between loops (default 1000). */
  loopMs?: number;
  /** A state request unanswered this long fails and its target is removed (default 3000). */
  stateTimeoutMs?: number;
  /** A ping unanswered this long fails (default 1000). */
  pingTimeoutMs?: number;
  /** How often a node that named itself re-asks the members yet to confirm (default loop/10). */
  confirmMs?: number;
  /** A node that hears from nobody leads alone after its first loop (default false). */
  allowAlone?: boolean;
  /** Hosts, IP addresses or CIDR networks members must match (default: any). */
  allowMembers?: string[];
  /** The most members this node keeps, itself included (default 64). */
  maxMembers?: number;
  /** Send state changes to members at once (default true; the transport must carry them). */
  push?: boolean;
}

export const DEFAULT_LES_TIMING: LesTiming = {
  loopMs: 1000,
  stateTimeoutMs: 3000,
  pingTimeoutMs: 1000,
  confirmMs: 100,
};

/** Checks timing options and fills defaults; throws a RangeError naming the bad option. */
export function lesTiming(options: LesOptions): LesTiming {
  const loopMs =
    options.loopMs ??
    (options.loopRate === undefined ? DEFAULT_LES_TIMING.loopMs : options.loopRate * 1000);
  const t: LesTiming = {
    loopMs,
    stateTimeoutMs: options.stateTimeoutMs ?? DEFAULT_LES_TIMING.stateTimeoutMs,
    pingTimeoutMs: options.pingTimeoutMs ?? DEFAULT_LES_TIMING.pingTimeoutMs,
    confirmMs: options.confirmMs ?? Math.max(10, Math.round(loopMs / 10)),
  };
  for (const [name, v] of Object.entries(t)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be positive, got ${v}`);
  }
  if (t.pingTimeoutMs > t.stateTimeoutMs) {
    throw new RangeError(
      `pingTimeoutMs (${t.pingTimeoutMs}) must not exceed stateTimeoutMs (${t.stateTimeoutMs}): a member is removed after stateTimeoutMs, so a slower ping could never fail first`,
    );
  }
  if (t.confirmMs > t.loopMs) {
    throw new RangeError(`confirmMs (${t.confirmMs}) must not exceed loopMs (${t.loopMs})`);
  }
  return t;
}

function checkLesOptions(options: LesOptions & { id?: string }): void {
  lesTiming(options);
  const address = options.address ?? options.id;
  if (address !== undefined && !isLesAddress(address)) {
    throw new TypeError(`address must be HOST:PORT, got ${JSON.stringify(address)}`);
  }
  if (options.seeds !== undefined && !Array.isArray(options.seeds)) {
    throw new TypeError('seeds must be an array of HOST:PORT addresses');
  }
  for (const seed of options.seeds ?? []) {
    if (!isLesAddress(seed))
      throw new TypeError(`seed must be HOST:PORT, got ${JSON.stringify(seed)}`);
  }
  for (const rule of options.allowMembers ?? []) {
    if (!isMemberRule(rule)) {
      throw new TypeError(
        `allowMembers entry must be a host, an IP or a CIDR, got ${JSON.stringify(rule)}`,
      );
    }
  }
  if (
    address !== undefined &&
    options.allowMembers?.length &&
    !allowsMember(options.allowMembers, address)
  ) {
    throw new RangeError(`allowMembers does not allow this node's own address ${address}`);
  }
  const max = options.maxMembers;
  if (max !== undefined && (!Number.isSafeInteger(max) || max < 1)) {
    throw new RangeError(`maxMembers must be a whole number of at least 1, got ${max}`);
  }
  const start = options.startTime;
  if (start !== undefined && (!Number.isFinite(start) || start < 0)) {
    throw new RangeError(`startTime must be seconds since the epoch, got ${start}`);
  }
}

export const lesProtocol: ProtocolDefinition<LesOptions, typeof lesMachine> = {
  name: 'les',
  logic: lesMachine,
  decode: decodeLesMessage,
  leased: false,
  discoversMembers: true,
  // Members poll once a loop: a pause of a loop may have been seen, and two loops give a
  // younger leader time to hear of the older one again and stand down.
  pauseGuard: (options) => {
    const { loopMs } = lesTiming(options);
    return { afterMs: loopMs, holdMs: 2 * loopMs };
  },
  check: checkLesOptions,
  input: ({ id, members, options, now }): LesInput => ({
    address: options.address ?? id,
    // Without seeds (the simulator), every listed member is one.
    seeds: options.seeds ?? members.map((m) => m.id),
    startTime: options.startTime ?? now / 1000,
    timing: lesTiming(options),
    allowAlone: options.allowAlone === true,
    allowMembers: options.allowMembers ?? [],
    maxMembers: options.maxMembers ?? DEFAULT_MAX_MEMBERS,
    push: options.push !== false,
  }),
  view: (snapshot) => {
    const ctx = snapshot.context;
    return {
      role: lesRole(ctx),
      leader: ctx.leader,
      term: undefined,
      members: [...ctx.members],
      ...(ctx.leader === null ? {} : { leaderAddress: ctx.leader }),
      elections: ctx.elections,
    };
  },
};
