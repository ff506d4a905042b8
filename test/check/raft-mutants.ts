import type { ProtocolModel } from '../../machines/protocol-model.js';
import { raftMachine } from '../../machines/raft/machine.js';
import { raftModel } from '../../src/check/index.js';

/** Raft with a broken vote rule: it grants any vote of its term, whoever it voted for already. */
export const votesTwice = raftMachine.provide({
  guards: {
    grantableVote: ({ context, event }) =>
      event.type === 'vote' &&
      event.msg.term === context.term &&
      context.leader !== context.config.id,
  },
});

/** Bounds of the timed lease checks: two lost heartbeats are the whole story. */
export const TIMED = { timed: true, maxTerm: 2, maxFaults: 2, maxInFlight: 2, drift: 1 } as const;

/**
 * Raft whose lease (9 ticks) outlives the election timeout (6–8), with heartbeats rarely
 * enough that two lost ones let contact lapse; only drops, so the search stays small.
 */
export function longLeaseModel(): ProtocolModel {
  return {
    ...raftModel({
      timedTiming: { heartbeatMs: 5, electionTimeoutMinMs: 6, electionTimeoutMaxMs: 8, leaseMs: 9 },
      name: 'raft-long-lease',
    }),
    faults: { duplicate: false, crash: false },
  };
}

/** Raft nodes that lose their disk in a crash: a restarted node is back in term 0, unvoted
 * (a crash and a restart: two faults). */
export function forgetsItsDiskModel(): ProtocolModel {
  const model = raftModel({ name: 'raft-forgets-its-disk' });
  return { ...model, input: (args) => model.input({ ...args, persisted: undefined }) };
}
