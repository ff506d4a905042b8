const MAX_VARINT_LEN_64 = 10;

/**
 * Go's `binary.Varint` with its error dropped: a zig-zag signed varint read from the start of
 * `bytes`. A buffer that ends before the number does, or a number longer than 64 bits,
 * yields 0, which is what Go code that ignores the error goes on to use.
 */
export function varint(bytes: Uint8Array): bigint {
  let unsigned = 0n;
  let shift = 0n;
  for (let i = 0; i < bytes.length; i++) {
    if (i === MAX_VARINT_LEN_64) return 0n;
    const b = bytes[i]!;
    if (b < 0x80) {
      // The tenth byte may carry only the 64th bit.
      if (i === MAX_VARINT_LEN_64 - 1 && b > 1) return 0n;
      return zigZagDecode(unsigned | (BigInt(b) << shift));
    }
    unsigned |= BigInt(b & 0x7f) << shift;
    shift += 7n;
  }
  return 0n;
}

function zigZagDecode(unsigned: bigint): bigint {
  const half = unsigned >> 1n;
  return (unsigned & 1n) === 0n ? half : ~half;
}
