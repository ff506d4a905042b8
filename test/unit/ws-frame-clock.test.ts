import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, type Mock, vi } from 'vitest';
import { WsFrameTracker, watchFrames } from '../../transports/ws-frame-clock.js';

const TEXT = 0x1;
const CONTINUATION = 0x0;
const PING = 0x9;

interface FrameSpec {
  length: number;
  masked?: boolean;
  fin?: boolean;
  opcode?: number;
}

/** A frame whose header says what the spec says; the payload bytes themselves never matter. */
function frame({ length, masked = false, fin = true, opcode = TEXT }: FrameSpec): Buffer {
  const first = (fin ? 0x80 : 0) | opcode;
  const maskBit = masked ? 0x80 : 0;
  let header: Buffer;
  if (length < 126) {
    header = Buffer.from([first, maskBit | length]);
  } else if (length <= 0xffff) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = maskBit | 126;
    header.writeUInt16BE(length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = maskBit | 127;
    header.writeBigUInt64BE(BigInt(length), 2);
  }
  const mask = masked ? Buffer.from([0x12, 0x34, 0x56, 0x78]) : Buffer.alloc(0);
  return Buffer.concat([header, mask, Buffer.alloc(length, 0x7e)]);
}

/** Bytes of `spec`'s header: the part that can be split across chunks. */
function headerLength({ length, masked = false }: FrameSpec): number {
  const extended = length < 126 ? 0 : length <= 0xffff ? 2 : 8;
  return 2 + extended + (masked ? 4 : 0);
}

const SIZES: Array<[string, number]> = [
  ['an empty 7-bit', 0],
  ['a 7-bit', 5],
  ['the largest 7-bit', 125],
  ['the smallest 16-bit', 126],
  ['a 16-bit', 300],
  ['the largest 16-bit', 0xffff],
  ['the smallest 64-bit', 0x10000],
  ['a 64-bit', 70_000],
];

const SPECS: Array<[string, FrameSpec]> = SIZES.flatMap(
  ([name, length]): Array<[string, FrameSpec]> => [
    [`${name} unmasked`, { length }],
    [`${name} masked`, { length, masked: true }],
  ],
);

describe('WsFrameTracker', () => {
  it.each(SPECS)('ends %s frame exactly at its last byte', (_name, spec) => {
    const bytes = frame(spec);
    const tracker = new WsFrameTracker();
    expect(tracker.push(bytes.subarray(0, bytes.length - 1))).toBe(0);
    expect(tracker.midMessage).toBe(true);
    expect(tracker.push(bytes.subarray(bytes.length - 1))).toBe(1);
    expect(tracker.midMessage).toBe(false);
  });

  it.each(SPECS)('follows %s frame split anywhere in its header', (_name, spec) => {
    const bytes = frame(spec);
    const next = frame({ length: 3, masked: true });
    // Up to the header's end, unless that is the frame's end too.
    const lastSplit = Math.min(headerLength(spec), bytes.length - 1);
    for (let split = 1; split <= lastSplit; split += 1) {
      const tracker = new WsFrameTracker();
      expect(tracker.push(bytes.subarray(0, split)), `split at ${split}`).toBe(0);
      expect(tracker.midMessage).toBe(true);
      // The rest of the frame and the start of another, in one chunk.
      const rest = Buffer.concat([bytes.subarray(split), next.subarray(0, 2)]);
      expect(tracker.push(rest), `split at ${split}`).toBe(1);
      expect(tracker.midMessage).toBe(true);
      expect(tracker.push(next.subarray(2))).toBe(1);
      expect(tracker.midMessage).toBe(false);
    }
  });

  it('follows frames arriving one byte at a time', () => {
    const specs = SPECS.map(([, spec]) => spec).filter((spec) => spec.length < 1000);
    const tracker = new WsFrameTracker();
    for (const spec of specs) {
      const bytes = frame(spec);
      for (let i = 0; i < bytes.length - 1; i += 1) {
        expect(tracker.push(bytes.subarray(i, i + 1))).toBe(0);
        expect(tracker.midMessage).toBe(true);
      }
      expect(tracker.push(bytes.subarray(bytes.length - 1))).toBe(1);
      expect(tracker.midMessage).toBe(false);
    }
  });

  it('counts every frame that ends in one chunk', () => {
    const tracker = new WsFrameTracker();
    const chunk = Buffer.concat(SPECS.map(([, spec]) => frame(spec)));
    expect(tracker.push(chunk)).toBe(SPECS.length);
    expect(tracker.midMessage).toBe(false);
    expect(tracker.push(Buffer.alloc(0))).toBe(0);
  });

  it('treats a fragmented message as one, control frames between fragments included', () => {
    const tracker = new WsFrameTracker();
    expect(tracker.push(frame({ length: 4, masked: true, fin: false }))).toBe(0);
    expect(tracker.midMessage).toBe(true);
    expect(tracker.push(frame({ length: 1, masked: true, opcode: PING }))).toBe(0);
    expect(tracker.midMessage).toBe(true);
    const middle = { length: 200, masked: true, fin: false, opcode: CONTINUATION };
    expect(tracker.push(frame(middle))).toBe(0);
    expect(tracker.midMessage).toBe(true);
    expect(tracker.push(frame({ length: 2, masked: true, opcode: CONTINUATION }))).toBe(1);
    expect(tracker.midMessage).toBe(false);
  });

  it('counts a control frame outside a message as a unit of its own', () => {
    const tracker = new WsFrameTracker();
    const chunk = Buffer.concat([frame({ length: 0, opcode: PING }), frame({ length: 2 })]);
    expect(tracker.push(chunk)).toBe(2);
    expect(tracker.midMessage).toBe(false);
  });
});

describe('watchFrames', () => {
  const TIMEOUT_MS = 300;
  let socket: PassThrough;
  let expired: Mock<() => void>;

  beforeEach(() => {
    vi.useFakeTimers();
    socket = new PassThrough();
    expired = vi.fn<() => void>();
    watchFrames(socket, TIMEOUT_MS, expired);
  });

  afterEach(() => {
    socket.destroy();
    vi.useRealTimers();
  });

  const receive = (bytes: Buffer): void => void socket.emit('data', bytes);
  const closed = (): Promise<void> =>
    new Promise((resolve) => {
      socket.once('close', () => resolve());
      socket.destroy();
    });

  it('expires a frame that stalls part-way, once', () => {
    receive(frame({ length: 10 }).subarray(0, 4));
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledOnce();
    receive(Buffer.from([0x7e]));
    vi.advanceTimersByTime(10 * TIMEOUT_MS);
    expect(expired).toHaveBeenCalledOnce();
  });

  it('runs the clock from the first byte, not the latest', () => {
    const bytes = frame({ length: 10, masked: true });
    for (let i = 0; i < bytes.length - 1; i += 1) {
      receive(bytes.subarray(i, i + 1));
      vi.advanceTimersByTime(20);
    }
    expect(expired).toHaveBeenCalledOnce();
  });

  it('stops the clock when the frame completes', () => {
    const bytes = frame({ length: 10 });
    receive(bytes.subarray(0, 3));
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    receive(bytes.subarray(3));
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * TIMEOUT_MS);
    expect(expired).not.toHaveBeenCalled();
  });

  it('restarts the clock when a new frame begins', () => {
    const first = frame({ length: 10 });
    const second = frame({ length: 10 });
    receive(first.subarray(0, 3));
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    receive(Buffer.concat([first.subarray(3), second.subarray(0, 3)]));
    vi.advanceTimersByTime(TIMEOUT_MS - 1);
    expect(expired).not.toHaveBeenCalled();
    vi.advanceTimersByTime(1);
    expect(expired).toHaveBeenCalledOnce();
  });

  it('leaves no timer behind once the socket closes', async () => {
    receive(frame({ length: 10 }).subarray(0, 3));
    expect(vi.getTimerCount()).toBe(1);
    await closed();
    expect(vi.getTimerCount()).toBe(0);
    expect(expired).not.toHaveBeenCalled();
  });
});
