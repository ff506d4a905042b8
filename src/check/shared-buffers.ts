/**
 * Shared memory that grows in place: every thread's typed arrays over it (made without a
 * length) follow its length, so a buffer handed round once never needs handing round again.
 */

/** A SharedArrayBuffer made with a `maxByteLength` (ES2024, beyond the typings used here). */
export interface GrowableBuffer extends SharedArrayBuffer {
  grow(bytes: number): void;
  readonly maxByteLength: number;
}

/** A growable shared buffer of `bytes`, reserving room for `max`. */
export function growable(bytes: number, max: number): GrowableBuffer {
  return new (
    SharedArrayBuffer as unknown as new (
      n: number,
      o: { maxByteLength: number },
    ) => GrowableBuffer
  )(bytes, { maxByteLength: Math.max(bytes, max) });
}

/**
 * Grows `buffer` (doubling) until it holds `bytes`; false when that is past its maximum.
 * Only one thread may grow a buffer that others read at the same time.
 */
export function reserve(buffer: GrowableBuffer, bytes: number): boolean {
  if (bytes <= buffer.byteLength) return true;
  if (bytes > buffer.maxByteLength) return false;
  let size = Math.max(buffer.byteLength, 1024);
  while (size < bytes) size *= 2;
  buffer.grow(Math.min(size, buffer.maxByteLength));
  return true;
}
