export {
  type BullyContext,
  type BullyInput,
  type BullyTiming,
  bullyMachine,
  bullyRole,
  comparePriority,
} from './bully/machine.js';
export { type BullyMessage, decodeBullyMessage, isPid } from './bully/messages.js';
export {
  decodeEntropyMessage,
  type ElectFunction,
  type EntropyContext,
  type EntropyInput,
  type EntropyMessage,
  entropyMachine,
} from './entropy/machine.js';
export {
  type KvLeaseContext,
  type KvLeaseEvent,
  type KvLeaseInput,
  type KvTiming,
  kvLeaseMachine,
  kvLeaseRole,
} from './kv/machine.js';
export {
  decodeKvReply,
  type KvHolderInfo,
  type KvReply,
  type KvRequest,
  STORE,
} from './kv/messages.js';
export {
  compareSeniority,
  DEFAULT_MAX_MEMBERS,
  type LesContext,
  type LesEmitted,
  type LesEvent,
  type LesInput,
  type LesRefusal as LesRefusalReason,
  type LesRefusedEvent,
  type LesTiming,
  lesMachine,
  lesRole,
  memberStates,
  ownState,
} from './les/machine.js';
export {
  allowsMember,
  decodeLesMessage,
  decodeLesState,
  isLesAddress,
  isMemberRule,
  type LesMessage,
  type LesState,
} from './les/messages.js';
export type { ProtocolEmitted, ReceiveEvent, Role } from './protocol-events.js';
export {
  type RaftContext,
  type RaftEvent,
  type RaftInput,
  type RaftMember,
  type RaftTiming,
  raftMachine,
  raftRole,
} from './raft/machine.js';
export { decodeRaftMessage, type RaftMessage, type Tags } from './raft/messages.js';
