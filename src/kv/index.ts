export {
  Candidate,
  type CandidateOptions,
  createCandidate,
  type ElectedEvent,
} from './candidate.js';
export { durationMs } from './duration.js';
export { createFollower, Follower, type FollowerOptions, type LeaderEvent } from './follower.js';
export { createStoreElection } from './store-election.js';
