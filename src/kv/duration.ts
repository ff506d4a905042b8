const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * A duration in milliseconds from a number of milliseconds or text like `5s`, `500ms`,
 * `1.5s`, `2m`. Throws a RangeError naming `what` for anything else.
 */
export function durationMs(what: string, value: number | string): number {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`${what} must be a positive number of milliseconds, got ${value}`);
    }
    return value;
  }
  const m = /^([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)$/.exec(value.trim());
  const ms = m === null ? Number.NaN : Math.round(Number(m[1]) * UNITS[m[2]!]!);
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new RangeError(`${what} must be a duration like 5s or 500ms, got '${value}'`);
  }
  return ms;
}
