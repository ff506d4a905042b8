// Past this exponent the ceiling is pinned at the cap anyway; it also keeps 2 ** n finite.
const MAX_EXPONENT = 30;

/**
 * Reconnect delay for the given attempt (0-based): "full jitter", a uniform draw below
 * min(cap, base * 2^attempt), so peers that lost a node together do not redial in lockstep.
 */
export function backoffDelay(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.min(attempt, MAX_EXPONENT));
  return Math.floor(random() * ceiling);
}
