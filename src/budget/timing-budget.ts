import { type BullyOptions, bullyTiming } from '../../machines/bully/definition.js';
import { type KvOptions, kvTiming } from '../../machines/kv/definition.js';
import { type LesOptions, lesTiming } from '../../machines/les/definition.js';
import { type RaftOptions, raftTiming } from '../../machines/raft/definition.js';
import {
  KV_STORE_KINDS,
  type KvStoreKind,
  type StoreTrips,
  storeExpiryLag,
  storeTrips,
} from './store-expiry-lag.js';

/** One figure: a bound in milliseconds (null: the protocol has no such thing) and how it is made. */
export interface BudgetFigure {
  ms: number | null;
  formula: string;
}

/**
 * What a timing configuration means for the people running it. Every bound assumes that a
 * message takes at most `delayMs` one way and that no second fault happens meanwhile.
 */
export interface TimingBudget {
  protocol: 'raft' | 'kv' | 'bully' | 'les';
  nodes: number;
  delayMs: number;
  /** The timing in force, defaults filled in. */
  timing: Record<string, number>;
  /** kv only: the store the budget is for, if it was named. */
  store?: KvStoreKind;
  /** From the leader's crash until the survivors agree on a new one holding its lease. */
  crashFailover: BudgetFigure;
  /**
   * kv only: what the store adds to a crash failover past the ttl (its expiry granularity
   * and any round trips beyond the budget's one), counted in `crashFailover`; `ms` is null
   * when no store was named and no lag given, and then it is left out.
   */
  expiryLag?: BudgetFigure;
  /** What each further round adds when a vote splits (Raft) or a round restarts. */
  perRetry: BudgetFigure;
  /** From `resign()` until another member leads. */
  resignHandover: BudgetFigure;
  /**
   * How long a leader may stall (a GC pause, a stopped VM, a clock step) after it last saw
   * itself leading and still act safely; past it only a fencing token keeps its writes out.
   */
  pauseTolerance: BudgetFigure;
  /** The largest relative clock rate difference between members the lease tolerates. */
  driftTolerance: number | null;
  /** Messages the whole cluster sends per second once a leader is settled. */
  messagesPerSecond: number;
}

/** What `timingBudget` takes: a protocol and its timing options. */
export type BudgetInput =
  | { protocol: 'raft'; options?: RaftOptions }
  | {
      protocol: 'kv';
      options?: Omit<KvOptions, 'key'>;
      /** The store, for its default expiry lag (see docs/timing.md). */
      store?: KvStoreKind;
      /** The store's expiry lag, measured or known, instead of the store's default. */
      expiryLagMs?: number;
    }
  | { protocol: 'bully'; options?: BullyOptions }
  | { protocol: 'les'; options?: LesOptions };

const rate = (perRound: number, everyMs: number) => (perRound * 1000) / everyMs;

/**
 * A lease of `leaseMs` on the leader's clock is safe against a promise of `promiseMs` on
 * another member's while leaseMs·(1+ρ) ≤ promiseMs·(1−ρ).
 */
const drift = (leaseMs: number, promiseMs: number) => (promiseMs - leaseMs) / (promiseMs + leaseMs);

/** The budget of a configuration; throws the same RangeError the election would. */
export function timingBudget(
  input: BudgetInput,
  { nodes = 3, delayMs = 5 }: { nodes?: number; delayMs?: number } = {},
): TimingBudget {
  if (!Number.isSafeInteger(nodes) || nodes < 1) {
    throw new RangeError(`nodes must be a whole number of at least 1, got ${nodes}`);
  }
  if (!Number.isFinite(delayMs) || delayMs < 0) {
    throw new RangeError(`delayMs must be zero or more, got ${delayMs}`);
  }
  const d = delayMs;
  const base = { nodes, delayMs: d };
  switch (input.protocol) {
    case 'raft': {
      const t = raftTiming(input.options ?? {});
      const { heartbeatMs: h, electionTimeoutMinMs: min, electionTimeoutMaxMs: max } = t;
      const spread = Math.max(max - min, h);
      return {
        protocol: 'raft',
        ...base,
        timing: { ...t },
        // The last heartbeat lands up to d after the crash; the follower's timer runs up to the
        // maximum from there; PreVote and vote are a round trip each; the new leader's first
        // heartbeat reaches the others and its acknowledgement grants the lease.
        crashFailover: { ms: max + 7 * d, formula: 'election timeout max + 7 × delay' },
        perRetry: {
          ms: h + spread + 4 * d,
          formula: 'heartbeat + max(timeout spread, heartbeat) + 4 × delay (vote retry)',
        },
        // TimeoutNow, a vote round trip, then the first heartbeat and its acknowledgement.
        resignHandover: { ms: 5 * d, formula: '5 × delay (TimeoutNow, vote, lease)' },
        pauseTolerance: {
          ms: min - t.leaseMs,
          formula: 'election timeout min − lease, after the last lease check',
        },
        driftTolerance: drift(t.leaseMs, min),
        messagesPerSecond: rate(2 * (nodes - 1), h),
      };
    }
    case 'kv': {
      const t = kvTiming({ key: 'k', ...input.options });
      const lag = expiryLag(input.store, input.expiryLagMs, t.ttlMs);
      const trips = input.store === undefined ? {} : storeTrips(input.store);
      const source = input.expiryLagMs !== undefined ? 'given' : input.store;
      const crash = delays(4, d, trips.crash);
      const handover = delays(4, d, trips.handover);
      return {
        protocol: 'kv',
        ...base,
        ...(input.store === undefined ? {} : { store: input.store }),
        timing: { ...t },
        // The last renewal, still in flight at the crash, reaches the store up to d later; the
        // key outlives the ttl by the store's lag; the watch tells a follower (one way) and its
        // acquire is a round trip, plus whatever more the store's watch and acquire take.
        crashFailover:
          lag.ms === null
            ? {
                ms: t.ttlMs + crash.ms,
                formula: `ttl + ${crash.text}, plus the store’s own expiry lag${crash.why}`,
              }
            : {
                ms: t.ttlMs + lag.ms + crash.ms,
                formula: `ttl + expiry lag (${source}) + ${crash.text}${crash.why}`,
              },
        expiryLag: lag,
        perRetry: { ms: t.backoffMaxMs + 2 * d, formula: 'backoff max + 2 × delay' },
        // Release (one way), the watch event (one way), the acquire (a round trip).
        resignHandover: {
          ms: handover.ms,
          formula: `${handover.text} (release, watch, acquire${trips.handover === undefined ? '' : `; ${trips.handover.why}`})`,
        },
        pauseTolerance: { ms: t.marginMs, formula: 'margin, after the last lease check' },
        driftTolerance: drift(t.ttlMs - t.marginMs, t.ttlMs),
        // The leader renews (request and answer); every other candidate re-reads once per TTL.
        messagesPerSecond: rate(2, t.renewMs) + rate(2 * (nodes - 1), t.ttlMs),
      };
    }
    case 'bully': {
      const t = bullyTiming(input.options ?? {});
      return {
        protocol: 'bully',
        ...base,
        timing: { ...t },
        // The last announcement lands up to d after the crash; silence for the leader timeout;
        // an election to the higher members and their answer; the highest waits out the answer
        // timeout and announces itself.
        crashFailover: {
          ms: t.leaderTimeoutMs + t.answerTimeoutMs + 4 * d,
          formula: 'leader timeout + answer timeout + 4 × delay',
        },
        perRetry: {
          ms: t.coordinatorTimeoutMs + t.answerTimeoutMs + 3 * d,
          formula: 'coordinator timeout + answer timeout + 3 × delay (a higher member died too)',
        },
        resignHandover: { ms: null, formula: 'none: the highest live member always leads' },
        pauseTolerance: { ms: 0, formula: 'none: Bully has no lease, so only fencing protects' },
        driftTolerance: null,
        messagesPerSecond: rate(nodes - 1, t.announceMs),
      };
    }
    case 'les': {
      const t = lesTiming(input.options ?? {});
      return {
        protocol: 'les',
        ...base,
        timing: { ...t },
        // A member notices on its next loop, its state request fails after the state timeout
        // and removes the leader, and the loop after that names the next senior member.
        crashFailover: {
          ms: 2 * t.loopMs + t.stateTimeoutMs + 2 * d,
          formula: '2 × loop + state timeout + 2 × delay',
        },
        perRetry: { ms: t.loopMs, formula: 'one loop' },
        resignHandover: { ms: null, formula: 'none: the most senior live member always leads' },
        pauseTolerance: { ms: 0, formula: 'none: LES has no lease, so only fencing protects' },
        driftTolerance: null,
        // Every member asks every member for its state once a loop.
        messagesPerSecond: rate(2 * nodes * (nodes - 1), t.loopMs),
      };
    }
  }
}

function expiryLag(
  store: KvStoreKind | undefined,
  givenMs: number | undefined,
  ttlMs: number,
): BudgetFigure {
  if (store !== undefined && !(KV_STORE_KINDS as readonly string[]).includes(store)) {
    throw new RangeError(`store must be one of ${KV_STORE_KINDS.join(', ')}, got ${store}`);
  }
  const fallback = store === undefined ? undefined : storeExpiryLag(store, ttlMs);
  if (givenMs !== undefined) {
    if (!Number.isFinite(givenMs) || givenMs < 0) {
      throw new RangeError(`expiryLagMs must be zero or more, got ${givenMs}`);
    }
    const instead =
      fallback === undefined ? '' : ` (instead of ${store}’s default, ${fallback.ms} ms)`;
    return { ms: givenMs, formula: `given${instead}` };
  }
  return fallback ?? { ms: null, formula: 'not counted: name the store, or give its lag' };
}

/** `base` one-way delays and a store's extra trips: the milliseconds, and how they read. */
function delays(base: number, d: number, more: StoreTrips | undefined) {
  const n = base + (more?.delays ?? 0);
  const extra = more?.ms ?? 0;
  return {
    ms: n * d + extra,
    text: `${n} × delay${extra > 0 ? ` + ${extra} ms` : ''}`,
    why: more === undefined ? '' : ` (${more.why})`,
  };
}

const ms = (f: BudgetFigure) => (f.ms === null ? '-' : `${Math.round(f.ms * 10) / 10} ms`);

/** The budget as the lines `electorate budget` prints. */
export function budgetLines(b: TimingBudget): string[] {
  const timing = Object.entries(b.timing)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  const on = b.store === undefined ? '' : ` on ${b.store}`;
  return [
    `${b.protocol}${on}, ${b.nodes} nodes, one-way delay up to ${b.delayMs} ms: ${timing}`,
    `crash failover     ${ms(b.crashFailover)}  (${b.crashFailover.formula})`,
    ...(b.expiryLag === undefined
      ? []
      : [`  expiry lag       ${ms(b.expiryLag)}  (${b.expiryLag.formula})`]),
    `  per retry        ${ms(b.perRetry)}  (${b.perRetry.formula})`,
    `resign handover    ${ms(b.resignHandover)}  (${b.resignHandover.formula})`,
    `pause tolerance    ${ms(b.pauseTolerance)}  (${b.pauseTolerance.formula}${b.driftTolerance === null ? '' : '; longer, and only fencing protects'})`,
    `clock drift        ${b.driftTolerance === null ? '-  (no lease)' : `${(b.driftTolerance * 100).toFixed(1)} %  (relative clock rate between members)`}`,
    `messages at rest   ${Math.round(b.messagesPerSecond * 10) / 10} per second, whole cluster`,
  ];
}
