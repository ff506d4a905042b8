import { queueState } from './explorer.js';

/**
 * A level of the parallel search as chunks of shared memory that any thread can claim.
 * Each thread writes the states it finds into chunks of its own; at the level's end every
 * thread's chunks go into one list, and the threads then take chunks from it one at a time
 * (an atomic counter), so a thread that runs slower, or met harder states, simply takes
 * fewer: the work balances itself. A state never straddles two chunks.
 *
 * A state is laid out as in the one-thread queue (`queueState`), in the numbering of the
 * thread that wrote it.
 */

/** Int32s in a chunk (128 KiB, some 3,000 states): small enough that a level ends evenly. */
export const CHUNK_INTS = 1 << 15;

/** A chunk written by one thread: its buffer and how many Int32s of it are states. */
export interface Chunk {
  thread: number;
  buffer: SharedArrayBuffer;
  used: number;
  /** States in it. */
  states: number;
}

/** Writes one thread's states into chunks. */
export class ChunkWriter {
  private chunks: Chunk[] = [];
  private current: Int32Array = new Int32Array(0);
  private chunk: Chunk | undefined;
  /** States written since the last `take`. */
  states = 0;
  /** Appends to the current chunk, which has room (checked before each state). */
  private readonly sink = {
    push: (x: number) => {
      this.current[this.chunk!.used++] = x;
    },
  };

  constructor(private readonly thread: number) {}

  /** Writes one state. */
  push(
    index: number,
    spent: number,
    nodes: readonly number[],
    msgs: readonly number[],
    count: number,
  ): void {
    const words = 3 + nodes.length + count;
    let chunk = this.chunk;
    if (chunk === undefined || chunk.used + words > this.current.length) {
      const buffer = new SharedArrayBuffer(4 * Math.max(CHUNK_INTS, words));
      chunk = { thread: this.thread, buffer, used: 0, states: 0 };
      this.current = new Int32Array(buffer);
      this.chunk = chunk;
      this.chunks.push(chunk);
    }
    queueState(this.sink, index, spent, nodes, msgs, count);
    chunk.states++;
    this.states++;
  }

  /** The chunks written so far; the writer starts afresh. */
  take(): Chunk[] {
    const out = this.chunks;
    this.chunks = [];
    this.chunk = undefined;
    this.current = new Int32Array(0);
    this.states = 0;
    return out;
  }
}
