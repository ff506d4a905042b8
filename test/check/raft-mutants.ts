import { raftMachine } from '../../machines/raft/machine.js';

/** Raft with a broken vote rule: it grants any vote of its term, whoever it voted for already. */
export const votesTwice = raftMachine.provide({
  guards: {
    grantableVote: ({ context, event }) =>
      event.type === 'vote' &&
      event.msg.term === context.term &&
      context.leader !== context.config.id,
  },
});
