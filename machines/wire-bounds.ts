/**
 * The largest value any counter that crosses the wire may carry: Raft terms and heartbeat
 * rounds, entropy rounds, KV fencing tokens. 2^48 − 1 is far beyond what a real cluster
 * reaches (one election every millisecond, without pause, needs 8,900 years to get there)
 * and far enough below 2^53 that `value + 1` stays an exact integer. A larger value is a
 * forgery or a fault, so the decoders refuse it at the edge, where it is counted as a drop,
 * rather than letting one frame move every node to a term none of them can ever pass.
 */
export const MAX_WIRE_COUNTER = 2 ** 48 - 1;

/** A whole number from 0 to MAX_WIRE_COUNTER. */
export const isWireCounter = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_WIRE_COUNTER;
