export { createRaftGroup } from './raft-group.js';
export type * from './raft-group-types.js';
