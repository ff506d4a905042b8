export {
  createElectionGroup,
  type ElectionGroup,
  type ElectionGroupEvents,
  type ElectionGroupOptions,
  type ElectionGroupStatus,
  type GroupElectionStatus,
} from './election-group.js';
export { type KvElectionGroupOptions, MAX_GROUP_ELECTIONS } from './group-options.js';
