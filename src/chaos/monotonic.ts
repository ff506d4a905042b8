/**
 * Milliseconds on CLOCK_MONOTONIC, the clock every process of a run shares: namespaces do
 * not change it and libfaketime is told not to fake it, so stamps from different processes
 * compare directly.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}
