export { createRaftGroup } from './raft-group.js';
export type {
  GroupDropReason,
  PeerTraffic,
  RaftGroup,
  RaftGroupElectionStatus,
  RaftGroupEvents,
  RaftGroupOptions,
  RaftGroupStatus,
} from './raft-group-types.js';
