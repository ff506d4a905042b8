import { type NodeTable, ORIGIN, type TableListener } from './node-table.js';
import { type GrowableBuffer, growable, reserve } from './shared-buffers.js';

/**
 * Node tables that threads can read each other's numbers in. Each thread of the parallel
 * search numbers node states and messages in its own table, in the order it meets them, and
 * a state is a handful of those numbers; for one thread to expand a state another found,
 * it must turn the other's numbers into its own. So each table writes to shared memory how
 * it reached each node state (the step and the state it came from, see `ORIGIN`) and each
 * message's text; a reader meeting a number it has not seen takes the same steps in its
 * own table, on its own copy of the machine, which gives the same node state.
 */

/** Int32s a node state's entry takes: how it was reached, from which state, on what. */
const NODE_WORDS = 3;
/** Int32s a message's entry takes: sender, receiver, where its text starts, its length. */
const MESSAGE_WORDS = 4;

/** One thread's journal, in shared memory that grows as the thread writes. */
export interface JournalBuffers {
  nodes: SharedArrayBuffer;
  messages: SharedArrayBuffer;
  /** Message texts, as UTF-16 code units. */
  text: SharedArrayBuffer;
}

/** Empty journal buffers, reserving room for 32 million node states and messages. */
export function journalBuffers(): JournalBuffers {
  return {
    nodes: growable(1 << 16, 4 * NODE_WORDS * (1 << 25)),
    messages: growable(1 << 16, 4 * MESSAGE_WORDS * (1 << 25)),
    text: growable(1 << 16, 2 ** 31),
  };
}

/** Writes what a table numbers into this thread's journal. */
export class JournalWriter implements TableListener {
  private readonly nodes: Int32Array;
  private readonly messages: Int32Array;
  private readonly text: Uint16Array;
  private textEnd = 0;

  constructor(private readonly buffers: JournalBuffers) {
    this.nodes = new Int32Array(buffers.nodes);
    this.messages = new Int32Array(buffers.messages);
    this.text = new Uint16Array(buffers.text);
  }

  node(id: number, origin: number, parent: number, operand: number): void {
    const at = NODE_WORDS * id;
    this.room(this.buffers.nodes, 4 * (at + NODE_WORDS));
    this.nodes[at] = origin;
    this.nodes[at + 1] = parent;
    this.nodes[at + 2] = operand;
  }

  message(id: number, from: number, to: number, json: string): void {
    const at = MESSAGE_WORDS * id;
    this.room(this.buffers.messages, 4 * (at + MESSAGE_WORDS));
    this.room(this.buffers.text, 2 * (this.textEnd + json.length));
    for (let i = 0; i < json.length; i++) this.text[this.textEnd + i] = json.charCodeAt(i);
    this.messages[at] = from;
    this.messages[at + 1] = to;
    this.messages[at + 2] = this.textEnd;
    this.messages[at + 3] = json.length;
    this.textEnd += json.length;
  }

  private room(buffer: SharedArrayBuffer, bytes: number): void {
    if (!reserve(buffer as GrowableBuffer, bytes)) {
      throw new RangeError('a node table journal is full');
    }
  }
}

/**
 * Turns the numbers of every thread's table into this thread's. A thread reads another's
 * journal only after the two have met at a level's end, so what it reads was written.
 */
export class JournalReader {
  private readonly nodes: Int32Array[];
  private readonly messages: Int32Array[];
  private readonly texts: Uint16Array[];
  /** Per thread: its node state number → ours (undefined until met). */
  private readonly nodeMap: number[][];
  private readonly messageMap: number[][];

  constructor(
    private readonly table: NodeTable,
    journals: readonly JournalBuffers[],
    private readonly self: number,
  ) {
    this.nodes = journals.map((j) => new Int32Array(j.nodes));
    this.messages = journals.map((j) => new Int32Array(j.messages));
    this.texts = journals.map((j) => new Uint16Array(j.text));
    this.nodeMap = journals.map(() => []);
    this.messageMap = journals.map(() => []);
  }

  /** Our number for node state `id` of thread `thread`. */
  node(thread: number, id: number): number {
    if (thread === this.self) return id;
    const known = this.nodeMap[thread]![id];
    if (known !== undefined) return known;
    const entry = this.nodes[thread]!;
    const at = NODE_WORDS * id;
    const origin = entry[at]!;
    const operand = entry[at + 2]!;
    const { table } = this;
    let ours: number;
    if (origin === ORIGIN.boot) ours = table.start(operand).next;
    else {
      const parent = table.records[this.node(thread, entry[at + 1]!)]!;
      switch (origin) {
        case ORIGIN.restart:
          ours = table.restart(parent).next;
          break;
        case ORIGIN.down:
          ours = table.down(parent);
          break;
        case ORIGIN.deliver:
          ours = table.deliver(parent, table.messages[this.message(thread, operand)]!).next;
          break;
        case ORIGIN.fire:
          ours = table.fire(parent, parent.timers[operand]!).next;
          break;
        default:
          ours = table.tick(parent);
      }
    }
    this.nodeMap[thread]![id] = ours;
    return ours;
  }

  /** Our number for message `id` of thread `thread`. */
  message(thread: number, id: number): number {
    if (thread === this.self) return id;
    const known = this.messageMap[thread]![id];
    if (known !== undefined) return known;
    const entry = this.messages[thread]!;
    const at = MESSAGE_WORDS * id;
    const start = entry[at + 2]!;
    const text = this.texts[thread]!;
    let json = '';
    for (let i = 0; i < entry[at + 3]!; i++) json += String.fromCharCode(text[start + i]!);
    const ours = this.table.message(entry[at]!, entry[at + 1]!, JSON.parse(json));
    this.messageMap[thread]![id] = ours;
    return ours;
  }
}
