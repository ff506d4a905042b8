/** Order statistics over a list of numbers (nearest-rank percentiles, no interpolation). */

function sorted(values) {
  return [...values].sort((a, b) => a - b);
}

export function percentile(values, p) {
  if (values.length === 0) return Number.NaN;
  const list = sorted(values);
  const rank = Math.ceil((p / 100) * list.length);
  return list[Math.min(list.length, Math.max(1, rank)) - 1];
}

export function median(values) {
  if (values.length === 0) return Number.NaN;
  const list = sorted(values);
  const mid = Math.floor(list.length / 2);
  return list.length % 2 === 1 ? list[mid] : (list[mid - 1] + list[mid]) / 2;
}

export function worst(values) {
  return values.length === 0 ? Number.NaN : Math.max(...values);
}
