import { WebSocket } from 'ws';

/** What a dashboard client may have waiting to be sent to it, in bytes. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** How long a client may stay over the cap before it is closed: long enough for a slow link. */
export const SLOW_READER_GRACE_MS = 5_000;
// A WebSocket frame header: what a message costs beyond its payload, at most.
const FRAME_HEADER_BYTES = 14;

/** Why reading from a client is stopped for now. */
type Hold = 'buffer' | 'rate';

/**
 * The send side of one dashboard client. Nothing is written that would take what is
 * buffered for the client past the cap: a frame is skipped, a reply dropped. While over,
 * the client is not read from (its commands wait in its own TCP buffers, not in ours);
 * once it has drained half the cap it is read again, and if it stays over for the grace it
 * is closed.
 */
export class SendGuard {
  private overSince: number | undefined;
  private readonly holds = new Set<Hold>();
  private peak = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly limits = {
      maxBufferedBytes: MAX_BUFFERED_BYTES,
      graceMs: SLOW_READER_GRACE_MS,
    },
  ) {}

  /** Sends `text` unless that would go past the cap; false when it was not sent. */
  send(text: string, now = Date.now()): boolean {
    if (this.ws.readyState !== WebSocket.OPEN) return false;
    const bytes = Buffer.byteLength(text) + FRAME_HEADER_BYTES;
    if (this.ws.bufferedAmount + bytes > this.limits.maxBufferedBytes) {
      this.overSince ??= now;
      this.hold('buffer');
      return false;
    }
    this.ws.send(text);
    this.peak = Math.max(this.peak, this.ws.bufferedAmount);
    return true;
  }

  /**
   * Reads the client again once it has drained; true when it has been over the cap for the
   * whole grace and should be closed.
   */
  check(now = Date.now()): boolean {
    if (this.overSince === undefined) return false;
    if (this.ws.bufferedAmount <= this.limits.maxBufferedBytes / 2) {
      this.overSince = undefined;
      this.release('buffer');
      return false;
    }
    return now - this.overSince >= this.limits.graceMs;
  }

  /** Stops reading from the client until every hold is released. */
  hold(why: Hold): void {
    this.holds.add(why);
    this.ws.pause();
  }

  release(why: Hold): void {
    this.holds.delete(why);
    if (this.holds.size === 0) this.ws.resume();
  }

  /** Whether the client is over the cap (and not read from) now. */
  over(): boolean {
    return this.overSince !== undefined;
  }

  /** The most ever buffered for this client, in bytes. */
  peakBufferedBytes(): number {
    return this.peak;
  }
}
