export { checkHistory } from './checker.js';
export { eventTime, quoteEvent } from './event-text.js';
export * from './history.js';
export { renderReport } from './report-html.js';
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
