import type { Duplex } from 'node:stream';

const BASE_HEADER_BYTES = 2;
const MASK_BYTES = 4;
const MAX_HEADER_BYTES = BASE_HEADER_BYTES + 8 + MASK_BYTES;
const LENGTH_16 = 126;
const LENGTH_64 = 127;
const FIN_BIT = 0x80;
const MASK_BIT = 0x80;
// Opcodes 0x8-0xf are control frames (close, ping, pong), which may sit between fragments.
const CONTROL_OPCODE = 0x8;

/**
 * Follows message boundaries in the raw bytes of a WebSocket connection, reading just enough
 * of each frame header to skip its payload. It never validates: `ws` parses the same bytes
 * and closes the connection on anything malformed. A fragmented message counts as one unit
 * from its first byte to the end of its final fragment, so fragmenting cannot stretch the
 * time an envelope may take to arrive.
 */
export class WsFrameTracker {
  private readonly header = Buffer.alloc(MAX_HEADER_BYTES);
  private headerFill = 0;
  private headerBytes = BASE_HEADER_BYTES;
  private payloadLeft = 0;
  private fragmented = false;

  /** True while part of a message (a header, a payload, or some fragments) has arrived. */
  get midMessage(): boolean {
    return this.headerFill > 0 || this.payloadLeft > 0 || this.fragmented;
  }

  /** Consumes a chunk; returns how many messages and lone control frames ended in it. */
  push(chunk: Uint8Array): number {
    let completed = 0;
    let at = 0;
    while (at < chunk.length) {
      if (this.payloadLeft > 0) {
        const skipped = Math.min(this.payloadLeft, chunk.length - at);
        this.payloadLeft -= skipped;
        at += skipped;
        if (this.payloadLeft === 0 && this.endFrame()) completed += 1;
        continue;
      }
      this.header[this.headerFill] = chunk[at]!;
      this.headerFill += 1;
      at += 1;
      if (this.headerFill === BASE_HEADER_BYTES) this.headerBytes = this.fullHeaderBytes();
      if (this.headerFill < this.headerBytes) continue;
      this.payloadLeft = this.payloadLength();
      if (this.payloadLeft === 0 && this.endFrame()) completed += 1;
    }
    return completed;
  }

  private fullHeaderBytes(): number {
    const length7 = this.header[1]! & 0x7f;
    const extended = length7 === LENGTH_16 ? 2 : length7 === LENGTH_64 ? 8 : 0;
    const mask = this.header[1]! & MASK_BIT ? MASK_BYTES : 0;
    return BASE_HEADER_BYTES + extended + mask;
  }

  private payloadLength(): number {
    const length7 = this.header[1]! & 0x7f;
    if (length7 === LENGTH_16) return this.header.readUInt16BE(2);
    if (length7 !== LENGTH_64) return length7;
    // Past 2^53 this loses precision; ws refuses such lengths and closes anyway.
    return this.header.readUInt32BE(2) * 2 ** 32 + this.header.readUInt32BE(6);
  }

  /** Resets for the next frame; true when the one that just ended closed a unit. */
  private endFrame(): boolean {
    const first = this.header[0]!;
    this.headerFill = 0;
    this.headerBytes = BASE_HEADER_BYTES;
    if ((first & 0x0f) >= CONTROL_OPCODE) return !this.fragmented;
    this.fragmented = (first & FIN_BIT) === 0;
    return !this.fragmented;
  }
}

/**
 * Bounds how long a message may take to arrive once its first byte has, as the TCP
 * transport does for its frames; `ws` itself has no such clock. Calls `expired` at most once.
 */
export function watchFrames(socket: Duplex, timeoutMs: number, expired: () => void): void {
  const tracker = new WsFrameTracker();
  let timer: NodeJS.Timeout | undefined;

  const onData = (chunk: Buffer): void => {
    if (socket.destroyed) return;
    const completed = tracker.push(chunk);
    // The clock runs from a message's first byte, so it restarts only when a new one begins.
    if (!tracker.midMessage) {
      clearTimeout(timer);
      timer = undefined;
    } else if (timer === undefined || completed > 0) {
      clearTimeout(timer);
      timer = setTimeout(() => {
        socket.off('data', onData);
        expired();
      }, timeoutMs);
    }
  };

  socket.on('data', onData);
  socket.once('close', () => {
    clearTimeout(timer);
    socket.off('data', onData);
  });
}
