import type { RaftContext } from '../../machines/raft/machine.js';
import type { Simulation } from '../../src/sim/index.js';

/** A live node's Raft context (term, vote, config), or undefined while it is down. */
export function raftContext(sim: Simulation, id: string): RaftContext | undefined {
  const snapshot = sim.snapshot(id) as { context: RaftContext } | undefined;
  return snapshot?.context;
}
