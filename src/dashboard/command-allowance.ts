/**
 * How many commands one dashboard socket may send: `burst` at once, then `perSecond`. A
 * page sends one per click; anything faster is a program, and it must not be able to keep
 * the node busy parsing and carrying out commands.
 */
export class CommandAllowance {
  private tokens: number;
  private last: number;

  constructor(
    readonly perSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.last = now;
  }

  /** Takes one command's worth; false when there is none left. */
  take(now: number): boolean {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }

  /** How long until the next command is allowed, in ms (0 if it is now). */
  waitMs(): number {
    return this.tokens >= 1 ? 0 : Math.ceil(((1 - this.tokens) * 1000) / this.perSecond);
  }
}
