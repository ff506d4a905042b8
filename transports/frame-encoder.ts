const PREFIX_BYTES = 4;

/** Prefixes a UTF-8 payload with its length as a 4-byte big-endian unsigned integer. */
export function encodeFrame(payload: string): Buffer {
  const length = Buffer.byteLength(payload, 'utf8');
  const frame = Buffer.allocUnsafe(PREFIX_BYTES + length);
  frame.writeUInt32BE(length, 0);
  frame.write(payload, PREFIX_BYTES, 'utf8');
  return frame;
}
