import { and, assign, cancel, enqueueActions, setup } from 'xstate';
import type { ProtocolEmitted, ReceiveEvent, Role } from '../protocol-events.js';
import { nextRandom } from '../seeded-random.js';
import type { KvHolderInfo, KvReply, KvRequest } from './messages.js';
import { STORE } from './messages.js';

/**
 * Election on a key-value store (docker/leadership's Candidate and Follower). The store
 * arbitrates: whoever creates the key under a TTL lease leads until it lets the lease go.
 *
 * The machine's only peer is the store actor. A candidate asks to acquire the key; if
 * someone holds it, it watches the key and asks again the instant the key is freed (and
 * once per TTL in case a watch event was missed). An answer that names a holder the watch
 * has since seen go left before the deletion: the candidate asks again at once. A leader renews its lease every third of
 * the TTL. It emits `lease.start` before each acquire and renewal leaves and `lease.granted`
 * when the store confirms it, so the runtime's lease clock counts the lease from the send:
 * the local deadline (send + TTL − margin) always falls before the store's own expiry, and
 * a leader cut off from its store stops leading by then, with or without an answer.
 * Failures back off exponentially with seeded jitter, capped.
 *
 * An acquire that failed or went unanswered may still have been applied (the store was
 * frozen, the answer was lost): the key may now name this candidate under a handle it never
 * heard of, and nobody would lead until that lease ran out. So a failed acquire, and a
 * `taken` that names this candidate, is reconciled: the machine reads the key back and
 * adopts a lease that is its own by acquiring again under the handle found (the store keeps
 * the token and extends the lease; the lease clock counts from that new send), or, for a
 * handle it already tried or gave up, releases it by that handle (compare-and-delete) and
 * campaigns again. A renewal needs no such step: it is conditional on the handle, so the
 * next one (or the acquire after a lapse, which keeps the handle) settles what the lost one
 * did.
 */

export interface KvTiming {
  /** The lease the store keeps (the key's TTL). */
  ttlMs: number;
  /** How long before the store's expiry a leader stops trusting its lease. */
  marginMs: number;
  /** How often a leader renews. */
  renewMs: number;
  /** How long the store actor waits for the store on one request. */
  requestTimeoutMs: number;
  backoffMinMs: number;
  backoffMaxMs: number;
}

/** What a KV-lease machine is started with. */
export interface KvLeaseInput {
  /** This node's id: the value a leader writes to the key. */
  id: string;
  key: string;
  /** True for a candidate; false for a follower, which only watches. */
  campaign: boolean;
  timing: KvTiming;
  seed: number;
}

/**
 * A KV-lease machine's context: its requests in flight, its handle and fencing token at the store,
 * the leader it knows of, and its backoff.
 */
export interface KvLeaseContext {
  id: string;
  key: string;
  campaign: boolean;
  timing: KvTiming;
  random: number;
  /** The last request's round. */
  round: number;
  /** The round of the acquire, renewal or release awaited (-1 if none). */
  pending: number;
  /** The round of the watch in force (-1 if none). */
  watchRound: number;
  /** The owner handle the watch was started with (ZooKeeper watches its predecessor). */
  watchOwner: string | null;
  /** This candidate's handle at the store (a lease id, a znode, a nonce). */
  owner: string | null;
  /** This node's fencing token while it leads. */
  token: number | null;
  leader: string | null;
  leaderToken: number | null;
  /** Failures since the last success: they set the backoff. */
  failures: number;
  backoffMs: number;
  /** The handle last taken over by reconciling: found again in the way, it is released. */
  adopted: string | null;
  /** Handles released as strays (newest last, a few): never adopted, even if read back. */
  discarded: string[];
  /** Read-backs since the last lease won or holder seen: past the first, adopting backs off. */
  reconciles: number;
  /** Campaigns started (acquire requests sent). */
  elections: number;
  lastError: string | null;
}

/**
 * Events a KV-lease machine takes: the store's replies, `resign`, and `lapse` (its own timer: the
 * lease it may count on has run out).
 */
export type KvLeaseEvent = ReceiveEvent<KvReply> | { type: 'resign' } | { type: 'lapse' };

export type KvLeaseEmitted = ProtocolEmitted;

type Reply<T extends KvReply['type']> = Extract<KvReply, { type: T }>;

const replyOf = (event: KvLeaseEvent): KvReply | undefined =>
  event.type === 'receive' ? event.msg : undefined;

/** The reply awaited: of this type, answering the pending request. */
const answers = (context: KvLeaseContext, event: KvLeaseEvent, type: KvReply['type']) => {
  const m = replyOf(event);
  return m !== undefined && m.type === type && m.round === context.pending;
};

/** An event of the watch in force (a holder, or its failure). */
const fromWatch = (context: KvLeaseContext, event: KvLeaseEvent, type: 'holder' | 'failed') => {
  const m = replyOf(event);
  return m !== undefined && m.type === type && m.round === context.watchRound;
};

const holderOf = (event: KvLeaseEvent): KvHolderInfo | null =>
  (replyOf(event) as Reply<'holder'>).holder;

const request = (msg: KvRequest) => ({ type: 'send' as const, to: STORE, msg });

/** Stray handles remembered, so the list stays small whatever the store does. */
const MAX_DISCARDED = 4;

const remember = (list: string[], owner: string) =>
  list.includes(owner) ? list : [...list, owner].slice(-MAX_DISCARDED);

/** What a read-back found, and whether it is this candidate's. */
const foundOf = (event: KvLeaseEvent) => replyOf(event) as Reply<'found'>;

const foundOurs = (context: KvLeaseContext, event: KvLeaseEvent) =>
  answers(context, event, 'found') && foundOf(event).holder?.value === context.id;

/** The handle a read-back (or a late `acquired`) names, if it is one to act on. */
const strayOwnerOf = (event: KvLeaseEvent): string | null => {
  const m = replyOf(event);
  if (m?.type === 'found') return m.owner;
  if (m?.type === 'acquired') return m.owner;
  return null;
};

/**
 * An answer naming a holder the watch has since seen go: the key was free after that holder
 * had it, and tokens only grow, so that holder (or an older one) never has the key again.
 * The answer left before the deletion; acting on it would wait for a watch event that
 * already came, until the next recheck.
 */
const namesGoneHolder = (context: KvLeaseContext, holder: KvHolderInfo | null) =>
  holder !== null &&
  holder.value !== context.id &&
  context.leader === null &&
  context.leaderToken !== null &&
  holder.token <= context.leaderToken;

/** The lease a leader may count on: the TTL less the safety margin. */
const leaseMs = (t: KvTiming) => t.ttlMs - t.marginMs;

/**
 * The KV-lease election as a pure statechart: it talks only to its store (peer `STORE`) through
 * `send` and `receive` events.
 */
export const kvLeaseMachine = setup({
  types: {
    context: {} as KvLeaseContext,
    events: {} as KvLeaseEvent,
    input: {} as KvLeaseInput,
    emitted: {} as KvLeaseEmitted,
  },
  delays: {
    renewEvery: ({ context }) => context.timing.renewMs,
    // The store actor answers every request within requestTimeoutMs; this only guards
    // against an answer that never comes.
    requestDeadline: ({ context }) => context.timing.requestTimeoutMs * 2,
    backoff: ({ context }) => context.backoffMs,
    retryRenewal: ({ context }) => context.timing.backoffMinMs,
    recheck: ({ context }) => context.timing.ttlMs,
  },
  guards: {
    isCandidate: ({ context }) => context.campaign,
    connected: ({ event }) => replyOf(event)?.type === 'connected',
    connectedCandidate: ({ context, event }) =>
      context.campaign && replyOf(event)?.type === 'connected',
    acquired: ({ context, event }) => answers(context, event, 'acquired'),
    taken: ({ context, event }) => answers(context, event, 'taken'),
    renewed: ({ context, event }) => answers(context, event, 'renewed'),
    lost: ({ context, event }) => answers(context, event, 'lost'),
    requestFailed: ({ context, event }) => answers(context, event, 'failed'),
    /** The store says the key is held, by this candidate: a lease won without hearing of it. */
    takenByUs: ({ context, event }) =>
      answers(context, event, 'taken') &&
      (replyOf(event) as Reply<'taken'>).holder?.value === context.id,
    /** The key is held, says the answer, by a holder the watch has since seen go. */
    takenGone: ({ context, event }) =>
      answers(context, event, 'taken') &&
      namesGoneHolder(context, (replyOf(event) as Reply<'taken'>).holder),
    foundGone: ({ context, event }) =>
      answers(context, event, 'found') && namesGoneHolder(context, foundOf(event).holder),
    foundFree: ({ context, event }) =>
      answers(context, event, 'found') && foundOf(event).holder === null,
    /** Ours under a handle not yet tried: acquiring under it again takes the lease over. */
    foundAdoptable: ({ context, event }) => {
      if (!foundOurs(context, event)) return false;
      const owner = foundOf(event).owner;
      return owner !== null && owner !== context.adopted && !context.discarded.includes(owner);
    },
    /** Ours under a handle already tried, or given up: only releasing it frees the key. */
    foundDiscardable: ({ context, event }) =>
      foundOurs(context, event) && foundOf(event).owner !== null,
    foundOther: ({ context, event }) => answers(context, event, 'found'),
    /** The first read-back adopts at once; a store that keeps failing the adoption is backed off from. */
    firstReconcile: ({ context }) => context.reconciles <= 1,
    /** The acquire being reconciled answered after all: its handle, unless given up. */
    lateAcquired: ({ context, event }) => {
      const m = replyOf(event);
      return m?.type === 'acquired' && !context.discarded.includes(m.owner);
    },
    released: ({ context, event }) =>
      answers(context, event, 'released') || answers(context, event, 'failed'),
    keyFree: ({ context, event }) =>
      fromWatch(context, event, 'holder') && holderOf(event) === null,
    /** The key is ours from an earlier lease (a reconnect): acquire reclaims it. */
    keyOurs: ({ context, event }) =>
      fromWatch(context, event, 'holder') && holderOf(event)?.value === context.id,
    keyHeld: ({ context, event }) => fromWatch(context, event, 'holder'),
    /** While leading, the store reports another holder or none: this lease is gone. */
    keyNotOurs: ({ context, event }) => {
      if (!fromWatch(context, event, 'holder')) return false;
      const h = holderOf(event);
      return h === null || h.token !== context.token;
    },
    watchFailed: ({ context, event }) => fromWatch(context, event, 'failed'),
    /** An acquire answered after the machine gave up on it, under a handle it no longer keeps. */
    strayAcquire: ({ context, event }) => {
      const m = replyOf(event);
      return (
        m?.type === 'acquired' &&
        m.round !== context.pending &&
        m.owner !== context.owner &&
        !context.discarded.includes(m.owner)
      );
    },
  },
  actions: {
    requestAcquire: enqueueActions(({ context, enqueue }) => {
      const round = context.round + 1;
      enqueue.assign({ round, pending: round, elections: context.elections + 1 });
      enqueue.emit({ type: 'role', role: 'candidate', term: context.leaderToken ?? 0 });
      // Before the request leaves: the lease, if granted, runs from this instant.
      enqueue.emit({ type: 'lease.start', round, durationMs: leaseMs(context.timing) });
      enqueue.emit(
        request({
          type: 'acquire',
          round,
          key: context.key,
          value: context.id,
          ttlMs: context.timing.ttlMs,
          owner: context.owner,
        }),
      );
    }),
    takeLease: enqueueActions(({ context, event, enqueue }) => {
      const m = replyOf(event) as Reply<'acquired'>;
      enqueue.assign({
        owner: m.owner,
        token: m.token,
        leader: context.id,
        leaderToken: m.token,
        failures: 0,
        pending: -1,
        adopted: null,
        reconciles: 0,
      });
      enqueue.emit({ type: 'lease.granted', round: m.round });
      enqueue.emit({ type: 'role', role: 'leader', term: m.token });
      enqueue.emit({ type: 'leader', leader: context.id, term: m.token });
      enqueue.raise({ type: 'lapse' }, { id: 'lapse', delay: leaseMs(context.timing) });
    }),
    requestRenewal: enqueueActions(({ context, enqueue }) => {
      const round = context.round + 1;
      enqueue.assign({ round, pending: round });
      enqueue.emit({ type: 'lease.start', round, durationMs: leaseMs(context.timing) });
      enqueue.emit(
        request({
          type: 'renew',
          round,
          key: context.key,
          owner: context.owner ?? '',
          ttlMs: context.timing.ttlMs,
        }),
      );
    }),
    grantRenewal: enqueueActions(({ context, event, enqueue }) => {
      const m = replyOf(event) as Reply<'renewed'>;
      enqueue.assign({ failures: 0, pending: -1 });
      enqueue.emit({ type: 'lease.granted', round: m.round });
      enqueue.cancel('lapse');
      enqueue.raise({ type: 'lapse' }, { id: 'lapse', delay: leaseMs(context.timing) });
    }),
    /** Leadership ends now: the lease clock stops, whatever its deadline. */
    stepDown: enqueueActions(({ context, enqueue }) => {
      enqueue.cancel('lapse');
      enqueue.assign({ token: null, pending: -1 });
      enqueue.emit({ type: 'lease.revoked' });
      enqueue.emit({ type: 'role', role: 'follower', term: context.leaderToken ?? 0 });
    }),
    forgetLeader: enqueueActions(({ context, enqueue }) => {
      if (context.leader === null) return;
      enqueue.assign({ leader: null });
      enqueue.emit({ type: 'leader', leader: null, term: context.leaderToken ?? 0 });
    }),
    /** The lease is gone at the store: this handle can never hold the key again. */
    dropOwner: assign({ owner: null }),
    requestRelease: enqueueActions(({ context, enqueue }) => {
      const round = context.round + 1;
      enqueue.assign({ round, pending: round, owner: null });
      if (context.owner === null) return;
      enqueue.emit(request({ type: 'release', round, key: context.key, owner: context.owner }));
    }),
    releaseStray: enqueueActions(({ context, event, enqueue }) => {
      const m = replyOf(event) as Reply<'acquired'>;
      const round = context.round + 1;
      enqueue.assign({ round, discarded: remember(context.discarded, m.owner) });
      enqueue.emit(request({ type: 'release', round, key: context.key, owner: m.owner }));
    }),
    requestInspect: enqueueActions(({ context, enqueue }) => {
      const round = context.round + 1;
      enqueue.assign({ round, pending: round, reconciles: context.reconciles + 1 });
      enqueue.emit(request({ type: 'inspect', round, key: context.key }));
    }),
    /** The next acquire goes out under the handle found: the store gives the lease back. */
    adoptOwner: assign(({ context, event }) => {
      const owner = strayOwnerOf(event) ?? context.owner;
      return { owner, adopted: owner, pending: -1 };
    }),
    /** Releases the handle found (the store deletes the key only if that handle holds it). */
    requestDiscard: enqueueActions(({ context, event, enqueue }) => {
      const owner = strayOwnerOf(event);
      const round = context.round + 1;
      enqueue.assign({ round, pending: round });
      if (owner === null) return;
      enqueue.assign({
        discarded: remember(context.discarded, owner),
        adopted: null,
        owner: context.owner === owner ? null : context.owner,
      });
      enqueue.emit(request({ type: 'release', round, key: context.key, owner }));
    }),
    noteFound: enqueueActions(({ context, event, enqueue }) => {
      enqueue.assign({ pending: -1 });
      const change = leaderChange(context, foundOf(event).holder);
      if (change === undefined) return;
      enqueue.assign({ leader: change.leader, leaderToken: change.leaderToken });
      if (change.announce) {
        enqueue.emit({ type: 'leader', leader: change.leader, term: change.leaderToken ?? 0 });
      }
    }),
    /** Someone else holds the key: the store works, and reconciling is over. */
    resetFailures: assign({ failures: 0, reconciles: 0 }),
    /** An answer from before the key was freed: only the handle it names (a queue place) counts. */
    noteStale: assign(({ context, event }) => {
      const m = replyOf(event) as Reply<'taken'> | Reply<'found'>;
      return {
        pending: -1,
        failures: 0,
        reconciles: 0,
        owner: m.type === 'taken' ? (m.owner ?? context.owner) : context.owner,
      };
    }),
    noteTaken: enqueueActions(({ context, event, enqueue }) => {
      const m = replyOf(event) as Reply<'taken'>;
      enqueue.assign({ pending: -1, owner: m.owner ?? context.owner });
      // Taken by ourselves is not progress: a reconcile loop must still back off.
      if (m.holder?.value !== context.id) enqueue.assign({ failures: 0, reconciles: 0 });
      const change = leaderChange(context, m.holder);
      if (change === undefined) return;
      enqueue.assign({ leader: change.leader, leaderToken: change.leaderToken });
      if (change.announce) {
        enqueue.emit({ type: 'leader', leader: change.leader, term: change.leaderToken ?? 0 });
      }
    }),
    noteHolder: enqueueActions(({ context, event, enqueue }) => {
      const change = leaderChange(context, holderOf(event));
      if (change === undefined) return;
      enqueue.assign({ leader: change.leader, leaderToken: change.leaderToken });
      if (change.announce) {
        enqueue.emit({ type: 'leader', leader: change.leader, term: change.leaderToken ?? 0 });
      }
    }),
    /** Watches the key unless a watch under the same handle is already in force. */
    ensureWatch: enqueueActions(({ context, enqueue }) => {
      if (context.watchRound >= 0 && context.watchOwner === context.owner) return;
      const round = context.round + 1;
      enqueue.assign({ round, watchRound: round, watchOwner: context.owner });
      enqueue.emit(
        request({
          type: 'watch',
          round,
          key: context.key,
          owner: context.owner,
          checkMs: context.timing.ttlMs,
        }),
      );
    }),
    watchBroke: assign({ watchRound: -1, watchOwner: null }),
    // An attempt that did not conclude says nothing against the handle it used: the next
    // read-back may adopt it again.
    noteFailure: assign(({ context, event }) => {
      const m = replyOf(event) as Reply<'failed'> | undefined;
      return {
        failures: context.failures + 1,
        pending: -1,
        adopted: null,
        lastError: m === undefined ? 'no answer from the store' : m.message,
      };
    }),
    noteTimeout: assign(({ context }) => ({
      failures: context.failures + 1,
      pending: -1,
      adopted: null,
      lastError: 'no answer from the store',
    })),
    /** "Equal jitter": half the capped exponential delay, plus a seeded draw of the rest. */
    drawBackoff: assign(({ context }) => {
      const { backoffMinMs, backoffMaxMs } = context.timing;
      const exponent = Math.min(Math.max(context.failures - 1, 0), 30);
      const ceiling = Math.min(backoffMaxMs, backoffMinMs * 2 ** exponent);
      const r = nextRandom(context.random);
      return { random: r.state, backoffMs: Math.round(ceiling / 2 + (r.value * ceiling) / 2) };
    }),
  },
}).createMachine({
  id: 'kvLease',
  context: ({ input }) => ({
    id: input.id,
    key: input.key,
    campaign: input.campaign,
    timing: input.timing,
    random: input.seed | 0,
    round: 0,
    pending: -1,
    watchRound: -1,
    watchOwner: null,
    owner: null,
    token: null,
    leader: null,
    leaderToken: null,
    adopted: null,
    discarded: [],
    reconciles: 0,
    failures: 0,
    backoffMs: 0,
    elections: 0,
    lastError: null,
  }),
  initial: 'idle',
  on: {
    receive: [
      { guard: 'strayAcquire', actions: 'releaseStray' },
      { guard: 'keyHeld', actions: 'noteHolder' },
      { guard: 'watchFailed', actions: 'watchBroke' },
    ],
  },
  states: {
    // Until the store is reachable: a first request would only time out, and an acquire
    // that lands after its timeout briefly names a leader that never led.
    idle: {
      on: {
        receive: [
          { guard: 'connectedCandidate', target: 'campaigning' },
          { guard: 'connected', target: 'following' },
        ],
      },
    },
    campaigning: {
      entry: 'requestAcquire',
      after: { requestDeadline: { target: 'reconciling', actions: 'noteTimeout' } },
      on: {
        receive: [
          { guard: 'acquired', target: 'leader', actions: 'takeLease' },
          { guard: 'takenByUs', target: 'reconciling', actions: 'noteTaken' },
          { guard: 'takenGone', target: 'campaigning', reenter: true, actions: 'noteStale' },
          { guard: 'taken', target: 'waiting', actions: 'noteTaken' },
          { guard: 'requestFailed', target: 'reconciling', actions: 'noteFailure' },
        ],
      },
    },
    // The acquire failed or went unanswered, or the store named us: what is at the store?
    reconciling: {
      entry: 'requestInspect',
      after: { requestDeadline: { target: 'backingOff', actions: 'noteTimeout' } },
      on: {
        receive: [
          { guard: 'lateAcquired', target: 'campaigning', actions: 'adoptOwner' },
          // Nothing was applied: the acquire failed as it said, and is retried after a backoff.
          { guard: 'foundFree', target: 'backingOff', actions: 'noteFound' },
          {
            guard: and(['foundAdoptable', 'firstReconcile']),
            target: 'campaigning',
            actions: 'adoptOwner',
          },
          { guard: 'foundAdoptable', target: 'backingOff', actions: 'adoptOwner' },
          { guard: 'foundDiscardable', target: 'discarding' },
          { guard: 'foundGone', target: 'campaigning', actions: 'noteStale' },
          { guard: 'foundOther', target: 'waiting', actions: ['noteFound', 'resetFailures'] },
          { guard: 'requestFailed', target: 'backingOff', actions: 'noteFailure' },
        ],
      },
    },
    // A lease of ours that acquiring could not take over: release it, then stand again.
    discarding: {
      entry: 'requestDiscard',
      after: { requestDeadline: { target: 'backingOff', actions: 'noteTimeout' } },
      on: {
        receive: [
          { guard: 'requestFailed', target: 'backingOff', actions: 'noteFailure' },
          { guard: 'released', target: 'campaigning' },
          { guard: 'lateAcquired', actions: 'releaseStray' },
        ],
      },
    },
    waiting: {
      entry: 'ensureWatch',
      // A watch can miss an event (a reconnect); asking again now and then costs little.
      after: { recheck: 'campaigning' },
      on: {
        receive: [
          { guard: 'keyFree', target: 'campaigning', actions: 'forgetLeader' },
          { guard: 'keyOurs', target: 'campaigning' },
          { guard: 'keyHeld', actions: 'noteHolder' },
          { guard: 'watchFailed', target: 'backingOff', actions: ['watchBroke', 'noteFailure'] },
        ],
      },
    },
    leader: {
      initial: 'holding',
      exit: cancel('lapse'),
      on: {
        lapse: { target: 'backingOff', actions: ['stepDown', 'forgetLeader'] },
        resign: 'resigning',
      },
      states: {
        // The watch tells a leader at once when its key goes (deleted, or a lease the store
        // ended early); renewals alone would take up to renewMs. Armed again after every
        // renewal if it broke, so a store that is down costs one request per renewal.
        holding: {
          entry: 'ensureWatch',
          after: { renewEvery: 'renewing' },
          on: {
            receive: [
              {
                guard: 'keyNotOurs',
                target: '#kvLease.campaigning',
                actions: ['stepDown', 'dropOwner', 'noteHolder'],
              },
            ],
          },
        },
        renewing: {
          entry: 'requestRenewal',
          after: { requestDeadline: { target: 'pausing', actions: 'noteTimeout' } },
          on: {
            receive: [
              { guard: 'renewed', target: 'holding', actions: 'grantRenewal' },
              {
                guard: 'lost',
                target: '#kvLease.campaigning',
                actions: ['stepDown', 'dropOwner', 'forgetLeader'],
              },
              { guard: 'requestFailed', target: 'pausing', actions: 'noteFailure' },
              {
                guard: 'keyNotOurs',
                target: '#kvLease.campaigning',
                actions: ['stepDown', 'dropOwner', 'noteHolder'],
              },
            ],
          },
        },
        // Renewal failed: try again soon; the lapse timer ends leadership if none succeeds.
        pausing: {
          after: { retryRenewal: 'renewing' },
        },
      },
    },
    resigning: {
      entry: ['stepDown', 'forgetLeader', 'requestRelease'],
      after: { requestDeadline: 'resigned' },
      on: {
        receive: [{ guard: 'released', target: 'resigned' }],
      },
    },
    // Having resigned, let another candidate take the key; stand again only if nobody does.
    resigned: {
      entry: 'ensureWatch',
      after: { recheck: 'campaigning' },
      on: {
        receive: [
          { guard: 'keyFree' },
          { guard: 'keyOurs' },
          { guard: 'keyHeld', target: 'waiting', actions: 'noteHolder' },
          { guard: 'watchFailed', target: 'backingOff', actions: ['watchBroke', 'noteFailure'] },
        ],
      },
    },
    backingOff: {
      entry: 'drawBackoff',
      after: {
        backoff: [{ guard: 'isCandidate', target: 'campaigning' }, { target: 'following' }],
      },
    },
    following: {
      entry: 'ensureWatch',
      on: {
        receive: [
          { guard: 'keyHeld', actions: 'noteHolder' },
          { guard: 'watchFailed', target: 'backingOff', actions: ['watchBroke', 'noteFailure'] },
        ],
      },
    },
  },
});

/** What changes when the store names a holder: the leader, and whether to announce it. */
function leaderChange(
  context: KvLeaseContext,
  holder: KvHolderInfo | null,
): { leader: string | null; leaderToken: number | null; announce: boolean } | undefined {
  const leader = holder?.value ?? null;
  const leaderToken = holder?.token ?? context.leaderToken;
  if (leader === context.leader && leaderToken === context.leaderToken) return undefined;
  return { leader, leaderToken, announce: leader !== context.leader };
}

/** The role a snapshot of the KV-lease machine stands for. */
export function kvLeaseRole(value: unknown): Role {
  if (typeof value === 'object' && value !== null && 'leader' in value) return 'leader';
  if (value === 'campaigning' || value === 'reconciling' || value === 'discarding') {
    return 'candidate';
  }
  return 'follower';
}

export type KvLeaseMachine = typeof kvLeaseMachine;
