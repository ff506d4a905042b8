import type { DropReason } from '../../../transports/types.js';

/**
 * One frame between two members of an election group: every message one member had for the
 * other in one turn of its event loop, each tagged with its election's name. On the wire it
 * is the `msg` of an ordinary envelope: `{ "batch": [["shard-0", {...}], ...] }`.
 */
export interface Batch {
  batch: BatchEntry[];
}

/** One message of a batch and the election it belongs to. */
export type BatchEntry = [election: string, msg: unknown];

/**
 * Most entries a batch may carry. Far above what a sender needs (a few messages per election
 * per turn); a batch past it is refused whole, unread. It does not depend on how many
 * elections either side runs, so members whose lists differ for a while (shards being
 * added) still hear each other on the elections they share.
 */
export const MAX_BATCH_ENTRIES = 8192;

/** Why an inbound batch, or one entry of it, was thrown away. */
export type GroupDropReason = DropReason | 'unknown-election';

/** What reading one inbound batch gave: the entries to deliver and what was thrown away. */
export interface ReadBatch {
  entries: BatchEntry[];
  dropped: Partial<Record<GroupDropReason, number>>;
}

const MALFORMED: ReadBatch = { entries: [], dropped: { malformed: 1 } };
const OVERSIZE: ReadBatch = { entries: [], dropped: { oversize: 1 } };

/**
 * Checks an inbound batch's shape and names; the messages themselves are each election's to
 * validate. A batch that is not one is malformed, one past MAX_BATCH_ENTRIES oversize, both
 * dropped whole; an entry that is not a name and a message is malformed and one for an
 * election this member does not run is unknown, each dropped alone.
 */
export function readBatch(raw: unknown, known: (name: string) => boolean): ReadBatch {
  if (typeof raw !== 'object' || raw === null) return MALFORMED;
  const entries = (raw as Record<string, unknown>).batch;
  if (!Array.isArray(entries)) return MALFORMED;
  if (entries.length > MAX_BATCH_ENTRIES) return OVERSIZE;
  const read: ReadBatch = { entries: [], dropped: {} };
  for (const entry of entries) {
    if (!Array.isArray(entry) || entry.length !== 2 || typeof entry[0] !== 'string') {
      read.dropped.malformed = (read.dropped.malformed ?? 0) + 1;
    } else if (!known(entry[0])) {
      read.dropped['unknown-election'] = (read.dropped['unknown-election'] ?? 0) + 1;
    } else {
      read.entries.push([entry[0], entry[1]]);
    }
  }
  return read;
}

/**
 * Room a Raft message leaves for its tags, name and punctuation: the longest message without
 * tags (a heartbeat ack with both counters at their bound) encodes in under this.
 */
const UNTAGGED_ENTRY_BYTES = 128;
const tagBytes = new WeakMap<object, number>();

/**
 * The most bytes one entry can take on the wire, without encoding it twice: a message's tags
 * are its node's, one object shared by every message, so their size is measured once.
 */
export function entryBytes(name: string, msg: unknown): number {
  const tags = (msg as { tags?: unknown }).tags;
  if (typeof tags !== 'object' || tags === null) return name.length + UNTAGGED_ENTRY_BYTES;
  let size = tagBytes.get(tags);
  if (size === undefined) {
    size = Buffer.byteLength(JSON.stringify(tags));
    tagBytes.set(tags, size);
  }
  return name.length + UNTAGGED_ENTRY_BYTES + size;
}
