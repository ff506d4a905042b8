import type { ProtocolDefinition } from '../protocol-definition.js';
import { type BullyInput, type BullyTiming, bullyMachine, bullyRole } from './machine.js';
import { decodeBullyMessage, isPid } from './messages.js';

/** Bully's own options (see `BullyElectionOptions` for the rest). */
export interface BullyOptions {
  /** This node's priority: an unsigned 64-bit integer (OS pid, a timestamp, a fixed number). */
  pid?: string | number | bigint;
  /** The address peers should reach this node at; also the tie-breaker between equal pids. */
  address?: string;
  /** A higher node that joins takes over (default true); false keeps the sitting leader. */
  preempt?: boolean;
  announceMs?: number;
  leaderTimeoutMs?: number;
  answerTimeoutMs?: number;
  coordinatorTimeoutMs?: number;
}

export const DEFAULT_BULLY_TIMING: BullyTiming = {
  announceMs: 100,
  leaderTimeoutMs: 500,
  answerTimeoutMs: 100,
  coordinatorTimeoutMs: 300,
};

export function bullyTiming(options: BullyOptions): BullyTiming {
  const t: BullyTiming = {
    announceMs: options.announceMs ?? DEFAULT_BULLY_TIMING.announceMs,
    leaderTimeoutMs: options.leaderTimeoutMs ?? DEFAULT_BULLY_TIMING.leaderTimeoutMs,
    answerTimeoutMs: options.answerTimeoutMs ?? DEFAULT_BULLY_TIMING.answerTimeoutMs,
    coordinatorTimeoutMs: options.coordinatorTimeoutMs ?? DEFAULT_BULLY_TIMING.coordinatorTimeoutMs,
  };
  for (const [name, v] of Object.entries(t)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be positive, got ${v}`);
  }
  if (t.announceMs * 2 > t.leaderTimeoutMs) {
    throw new RangeError(
      `announceMs (${t.announceMs}) must be at most half of leaderTimeoutMs (${t.leaderTimeoutMs}): one lost announcement must not depose a live leader`,
    );
  }
  return t;
}

/** The pid as a canonical decimal string; throws a RangeError naming the bad value. */
export function bullyPid(pid: string | number | bigint): string {
  const text = typeof pid === 'string' ? pid : pid.toString();
  if (typeof pid === 'number' && !Number.isSafeInteger(pid)) {
    throw new RangeError(`pid must be an unsigned 64-bit integer, got ${pid}`);
  }
  if (!isPid(text)) throw new RangeError(`pid must be an unsigned 64-bit integer, got ${text}`);
  return text;
}

function checkBullyOptions(options: BullyOptions): void {
  bullyTiming(options);
  if (options.pid !== undefined) bullyPid(options.pid);
}

export const bullyProtocol: ProtocolDefinition<BullyOptions, typeof bullyMachine> = {
  name: 'bully',
  logic: bullyMachine,
  decode: decodeBullyMessage,
  leased: false,
  discoversMembers: true,
  // Followers stand after a leader timeout of silence; a pause of half that is already
  // enough for one of them to have started.
  pauseGuard: (options) => {
    const { leaderTimeoutMs } = bullyTiming(options);
    return { afterMs: leaderTimeoutMs / 2, holdMs: leaderTimeoutMs };
  },
  check: checkBullyOptions,
  input: ({ id, members, options }): BullyInput => ({
    id,
    // Without a pid, the position in the member list ranks nodes (the simulator's default).
    pid: bullyPid(options.pid ?? members.findIndex((m) => m.id === id) + 1),
    address: options.address ?? id,
    timing: bullyTiming(options),
    preempt: options.preempt !== false,
  }),
  view: (snapshot) => {
    const leader = snapshot.context.leader;
    return {
      role: bullyRole(snapshot.value),
      leader: leader?.id ?? null,
      term: snapshot.context.rounds,
      ...(leader === null ? {} : { leaderAddress: leader.address, leaderPid: leader.pid }),
      elections: snapshot.context.rounds,
    };
  },
};
