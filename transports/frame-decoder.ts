const PREFIX_BYTES = 4;

/** One step of decoding: a whole frame, a need for more bytes, or a fatal oversize prefix. */
export type DecodeStep =
  | { kind: 'frame'; payload: Buffer }
  | { kind: 'incomplete' }
  | { kind: 'oversize'; length: number };

const INCOMPLETE: DecodeStep = { kind: 'incomplete' };

/**
 * Incremental decoder for 4-byte big-endian length-prefixed frames. Chunks are kept as
 * received and each byte is copied at most once (none when a frame sits inside a single
 * chunk), so a frame trickling in byte by byte costs linear, not quadratic, work.
 */
export class FrameDecoder {
  private chunks: Buffer[] = [];
  private head = 0;
  private buffered = 0;
  private bodyLength = -1;

  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.buffered += chunk.length;
  }

  /** True while part of a frame (prefix or body) has arrived but not all of it. */
  get midFrame(): boolean {
    return this.buffered > 0 || this.bodyLength >= 0;
  }

  /**
   * Extracts the next frame. After `oversize` the stream cannot be resynchronised and the
   * decoder must be discarded along with its connection.
   */
  next(): DecodeStep {
    if (this.bodyLength < 0) {
      if (this.buffered < PREFIX_BYTES) return INCOMPLETE;
      const length = this.take(PREFIX_BYTES).readUInt32BE(0);
      if (length > this.maxFrameBytes) return { kind: 'oversize', length };
      this.bodyLength = length;
    }
    if (this.buffered < this.bodyLength) return INCOMPLETE;
    const payload = this.take(this.bodyLength);
    this.bodyLength = -1;
    return { kind: 'frame', payload };
  }

  private take(count: number): Buffer {
    this.buffered -= count;
    const first = this.chunks[0];
    if (first !== undefined && first.length - this.head >= count) {
      const out = first.subarray(this.head, this.head + count);
      this.head += count;
      if (this.head === first.length) {
        this.chunks.shift();
        this.head = 0;
      }
      return out;
    }
    const out = Buffer.allocUnsafe(count);
    let filled = 0;
    let index = 0;
    while (filled < count) {
      const chunk = this.chunks[index]!;
      const n = Math.min(chunk.length - this.head, count - filled);
      chunk.copy(out, filled, this.head, this.head + n);
      filled += n;
      this.head += n;
      if (this.head === chunk.length) {
        index += 1;
        this.head = 0;
      }
    }
    // One splice per frame rather than a shift per chunk keeps many tiny chunks linear.
    this.chunks.splice(0, index);
    return out;
  }
}
