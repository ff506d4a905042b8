import { describe, expect, it } from 'vitest';
import { CommandAllowance } from '../../src/dashboard/command-allowance.js';

describe('command allowance', () => {
  it('allows the burst at once, then the rate, and says how long until the next', () => {
    const allowance = new CommandAllowance(20, 40, 0);
    let allowed = 0;
    for (let i = 0; i < 100; i++) if (allowance.take(0)) allowed++;
    expect(allowed).toBe(40);
    expect(allowance.waitMs()).toBe(50);
    expect(allowance.take(49)).toBe(false);
    expect(allowance.take(50)).toBe(true);
    // A long pause refills up to the burst, no further.
    allowed = 0;
    for (let i = 0; i < 100; i++) if (allowance.take(3_600_000)) allowed++;
    expect(allowed).toBe(40);
  });
});
