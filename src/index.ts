export type { ProtocolEmitted, Role } from '../machines/protocol-events.js';
export type { Tags } from '../machines/raft-messages.js';
export {
  type BullyElectionOptions,
  type ChangeEvent,
  createElection,
  type DeposeReason,
  type Election,
  type ElectionEvents,
  type ElectionOptions,
  type ElectionStatus,
  type EntropyElectionOptions,
  LeadershipLostError,
  type LesElectionOptions,
  type LesRefusal,
  type MemberStatus,
  type PeerConfig,
  type RaftElectionOptions,
} from './election.js';
export {
  ElectionInputError,
  type ElectionStrategy,
  type ElectLeadersOptions,
  electLeaders,
} from './entropy/index.js';
export type { BullyOptions } from './protocols/bully.js';
export type { EntropyOptions } from './protocols/entropy.js';
export type { LesOptions } from './protocols/les.js';
export type { RaftOptions } from './protocols/raft.js';
export { CallbackError, type StateCallbacks } from './state-callbacks.js';
