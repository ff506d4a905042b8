export { EventQueue } from './event-queue.js';
export { type DelayDistribution, type NetworkFaults, NetworkModel } from './network-model.js';
export { SeededGenerator } from './seeded-generator.js';
export {
  type HeldMessage,
  SafetyViolation,
  type SimNodeState,
  Simulation,
  type SimulationOptions,
} from './simulation.js';
export { Trace, type TraceEntry } from './trace.js';
