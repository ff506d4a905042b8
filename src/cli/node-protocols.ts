import { bullyNode } from './bully-election.js';
import { kvNode } from './kv-election.js';
import { lesNode } from './les-election.js';
import { raftNode } from './raft-election.js';

/** Every protocol `electorate node` runs, by its `--protocol` name. */
export const NODE_PROTOCOLS = {
  raft: raftNode,
  bully: bullyNode,
  les: lesNode,
  kv: kvNode,
} as const;
