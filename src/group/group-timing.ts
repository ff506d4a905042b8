import type { KvElectionGroupOptions } from './group-options.js';

/** How a group's shared lease is timed, all in milliseconds. */
export interface GroupTiming {
  /** The shared lease's TTL at the store. */
  ttlMs: number;
  /** The clock-rate margin of a single election. */
  marginMs: number;
  /** One keep-alive of the shared lease this often. */
  keepaliveMs: number;
  /** How long one election leads on a renewal: ttl − margin − keepalive. */
  leaseMs: number;
  /** An election's renewal (answered from the shared lease, no request) this often. */
  renewMs: number;
  requestTimeoutMs: number;
  /** After a failed keep-alive, the next one this soon. */
  retryMs: number;
  /** The group reads every key once this often (stores whose watches can miss an event). */
  checkMs: number;
}

const DEFAULT_TTL_MS = 5000;

const positive = (name: string, value: number) => {
  if (!Number.isFinite(value) || value <= 0) {
    throw new RangeError(`${name} must be positive, got ${value}`);
  }
  return value;
};

/**
 * The group's timing, or a RangeError naming the rule broken. A renewal is answered from
 * any keep-alive sent up to `keepaliveMs` before it, so each election counts its lease
 * `keepaliveMs` shorter than a single election would (its margin grows by it), and the
 * next keep-alive must be due before that shorter lease runs out.
 */
export function groupTiming(options: KvElectionGroupOptions): GroupTiming {
  const ttlMs = options.ttlMs ?? DEFAULT_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs < 10) {
    throw new RangeError(`ttlMs must be at least 10 ms, got ${ttlMs}`);
  }
  const marginMs = positive('marginMs', options.marginMs ?? Math.max(10, Math.round(ttlMs / 10)));
  const keepaliveMs = positive('keepaliveMs', options.keepaliveMs ?? Math.round(ttlMs / 3));
  const renewMs = positive('renewMs', options.renewMs ?? Math.max(1, Math.round(keepaliveMs / 2)));
  const requestTimeoutMs = positive(
    'requestTimeoutMs',
    options.requestTimeoutMs ?? Math.min(2000, Math.round(ttlMs / 3)),
  );
  const leaseMs = ttlMs - marginMs - keepaliveMs;
  if (keepaliveMs >= leaseMs) {
    throw new RangeError(
      `keepaliveMs (${keepaliveMs}) must be below ttlMs less marginMs less keepaliveMs (${leaseMs}): the next keep-alive must be due before the elections' leases run out`,
    );
  }
  if (renewMs >= keepaliveMs) {
    throw new RangeError(
      `renewMs (${renewMs}) must be below keepaliveMs (${keepaliveMs}): every election renews between two keep-alives`,
    );
  }
  const checkMs = positive('checkMs', options.checkMs ?? Math.max(1000, ttlMs));
  return {
    ttlMs,
    marginMs,
    keepaliveMs,
    leaseMs,
    renewMs,
    requestTimeoutMs,
    retryMs: Math.max(10, Math.min(keepaliveMs, Math.round((leaseMs - keepaliveMs) / 4))),
    checkMs,
  };
}
