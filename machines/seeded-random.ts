/**
 * A seeded 32-bit generator (mulberry32). Machines keep its state in their context and
 * advance it in actions, so a snapshot plus an event always yields the same next snapshot:
 * randomness arrives as input, never from the environment.
 */
export function nextRandom(state: number): { state: number; value: number } {
  const next = (state + 0x6d2b79f5) | 0;
  let t = next;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return { state: next, value: ((t ^ (t >>> 14)) >>> 0) / 4294967296 };
}

/** A uniformly drawn integer in [min, max] and the generator's next state. */
export function drawBetween(
  state: number,
  min: number,
  max: number,
): { state: number; value: number } {
  const r = nextRandom(state);
  return { state: r.state, value: min + Math.floor(r.value * (max - min + 1)) };
}
