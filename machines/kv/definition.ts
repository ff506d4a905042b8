import type { ProtocolDefinition } from '../protocol-definition.js';
import { type KvLeaseInput, type KvTiming, kvLeaseMachine, kvLeaseRole } from './machine.js';
import { decodeKvReply } from './messages.js';

/** The KV-lease election's own options (see `KvElectionOptions` for the rest). */
export interface KvOptions {
  /** The key candidates compete for, like `service/leader`. */
  key: string;
  /** The lease the store keeps on the key (default 5000 ms). */
  ttlMs?: number;
  /**
   * How long before the store could expire the key a leader stops leading (default 10% of
   * the TTL, at least 10 ms). It covers the leader's and the store's clocks running at
   * slightly different rates.
   */
  marginMs?: number;
  /** How often a leader renews (default a third of the TTL). */
  renewMs?: number;
  /** How long one store request may take (default a third of the TTL, at most 2000 ms). */
  requestTimeoutMs?: number;
  /** Backoff after a failed request: from this (default 50 ms)… */
  backoffMinMs?: number;
  /** …doubling up to this (default the TTL, at most 5000 ms). */
  backoffMaxMs?: number;
  /** Only watch the election (a follower); never stand. */
  follow?: boolean;
}

export const DEFAULT_KV_TTL_MS = 5000;

export function kvTiming(options: KvOptions): KvTiming {
  const ttlMs = options.ttlMs ?? DEFAULT_KV_TTL_MS;
  if (!Number.isFinite(ttlMs) || ttlMs < 10) {
    throw new RangeError(`ttlMs must be at least 10 ms, got ${ttlMs}`);
  }
  const t: KvTiming = {
    ttlMs,
    marginMs: options.marginMs ?? Math.max(10, Math.round(ttlMs / 10)),
    renewMs: options.renewMs ?? Math.round(ttlMs / 3),
    requestTimeoutMs: options.requestTimeoutMs ?? Math.min(2000, Math.round(ttlMs / 3)),
    backoffMinMs: options.backoffMinMs ?? 50,
    backoffMaxMs: options.backoffMaxMs ?? Math.min(5000, ttlMs),
  };
  for (const [name, v] of Object.entries(t)) {
    if (!Number.isFinite(v) || v <= 0) throw new RangeError(`${name} must be positive, got ${v}`);
  }
  if (t.marginMs >= t.ttlMs) {
    throw new RangeError(`marginMs (${t.marginMs}) must be below ttlMs (${t.ttlMs})`);
  }
  if (t.renewMs >= t.ttlMs - t.marginMs) {
    throw new RangeError(
      `renewMs (${t.renewMs}) must be below ttlMs less marginMs (${t.ttlMs - t.marginMs})`,
    );
  }
  // A renewal sent on time that takes its whole request timeout must still land before the
  // leader's own deadline, or one slow answer deposes a healthy leader (client-go's
  // RenewDeadline < LeaseDuration, with the request timeout counted).
  if (t.renewMs + t.requestTimeoutMs > t.ttlMs - t.marginMs) {
    throw new RangeError(
      `renewMs (${t.renewMs}) plus requestTimeoutMs (${t.requestTimeoutMs}) must be at most ttlMs less marginMs (${t.ttlMs - t.marginMs}): a renewal that takes its whole timeout must land before the leader's deadline`,
    );
  }
  if (t.backoffMinMs > t.backoffMaxMs) {
    throw new RangeError(
      `backoffMinMs (${t.backoffMinMs}) must not exceed backoffMaxMs (${t.backoffMaxMs})`,
    );
  }
  return t;
}

export function checkKvOptions(options: KvOptions): void {
  if (typeof options.key !== 'string' || options.key.length === 0) {
    throw new TypeError('key must be a non-empty string');
  }
  kvTiming(options);
}

export const kvProtocol: ProtocolDefinition<KvOptions, typeof kvLeaseMachine> = {
  name: 'kv',
  logic: kvLeaseMachine,
  decode: decodeKvReply,
  leased: true,
  check: checkKvOptions,
  input: ({ id, seed, options }): KvLeaseInput => ({
    id,
    key: options.key,
    campaign: options.follow !== true,
    timing: kvTiming(options),
    seed,
  }),
  view: (snapshot) => {
    const role = kvLeaseRole(snapshot.value);
    const ctx = snapshot.context;
    return {
      role,
      leader: ctx.leader,
      term: ctx.leaderToken ?? undefined,
      ...(role === 'leader' && ctx.token !== null ? { fencingToken: ctx.token } : {}),
      elections: ctx.elections,
    };
  },
};
