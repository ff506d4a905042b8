export { checkHistory } from './checker.js';
export { eventTime, quoteEvent } from './event-text.js';
export * from './history.js';
export { renderReport } from './report-html.js';
export { type ChaosOptions, type ChaosResult, chaosTiming, recordChaos, runChaos } from './run.js';
export { type FaultPlan, nemesesFor, planFaults } from './schedule.js';
export { CHAOS_STORES, type ChaosStoreKind } from './stores.js';
export { formatSummary, type NemesisSummary, summaryRows } from './summary.js';
export type {
  ChaosStats,
  ChaosVerdict,
  FaultStats,
  MemoryStats,
  NotPromised,
  Violation,
  ViolationRule,
  WipedRestart,
} from './verdict.js';
