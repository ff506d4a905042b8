/**
 * KV-lease candidates and one memory store in virtual time. Each candidate is a real
 * kvLeaseMachine actor on its own VirtualClock; the store's TTLs run on the same queue. The
 * link between a candidate and the store has a seeded random delay each way, and the store
 * can be down: a request that reaches a down store is answered `failed` after the request
 * timeout (as the store actor does), and a down store breaks every watch. Invariants are
 * checked after every event.
 */
import { type AnyActorRef, createActor } from 'xstate';
import { type KvTiming, kvLeaseMachine, kvLeaseRole } from '../../machines/kv/machine.js';
import type { KvReply, KvRequest } from '../../machines/kv/messages.js';
import type { ProtocolEmitted } from '../../machines/protocol-events.js';
import { NodeHost } from '../../src/runtime/node-host.js';
import { EventQueue, SeededGenerator } from '../../src/sim/index.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';
import { MemoryStore } from '../../transports/kv/memory-store.js';

export const KEY = 'service/leader';

export const TIMING: KvTiming = {
  ttlMs: 300,
  marginMs: 30,
  renewMs: 100,
  requestTimeoutMs: 100,
  backoffMinMs: 10,
  backoffMaxMs: 200,
};

export type KvStep =
  | { kind: 'run'; ms: number }
  | { kind: 'outage'; ms: number }
  | { kind: 'delay'; min: number; max: number }
  | { kind: 'crash'; node: string }
  | { kind: 'restart'; node: string }
  | { kind: 'resign'; node: string };

interface Candidate {
  id: string;
  actor: AnyActorRef | undefined;
  clock: VirtualClock | undefined;
  /** Carries out what this incarnation's machine emits, as the runtime's host does. */
  host: NodeHost | undefined;
  unwatch: (() => void) | undefined;
  incarnation: number;
}

export class KvSimulation {
  private time = 0;
  private readonly queue = new EventQueue();
  private readonly rng: SeededGenerator;
  readonly store: MemoryStore;
  private readonly candidates = new Map<string, Candidate>();
  private downUntil = -1;
  private delay = { min: 0, max: 20 };
  readonly trace: string[] = [];
  /** Leadership as it began: who, the token, and when. */
  readonly grants: { id: string; token: number; at: number }[] = [];
  private leading = new Set<string>();

  constructor(
    readonly seed: number,
    ids: string[],
  ) {
    this.rng = new SeededGenerator(seed);
    this.store = new MemoryStore({
      clock: {
        now: () => this.time,
        setTimeout: (fn, ms) => this.queue.push(this.time + ms, fn),
        clearTimeout: (handle) => {
          (handle as { cancelled: boolean }).cancelled = true;
        },
      },
    });
    for (const id of ids) {
      const c: Candidate = {
        id,
        actor: undefined,
        clock: undefined,
        host: undefined,
        unwatch: undefined,
        incarnation: 0,
      };
      this.candidates.set(id, c);
      this.boot(c);
    }
  }

  get now(): number {
    return this.time;
  }

  apply(step: KvStep): void {
    this.note('*', JSON.stringify(step));
    switch (step.kind) {
      case 'run':
        this.run(step.ms);
        return;
      case 'outage':
        this.downUntil = Math.max(this.downUntil, this.time + step.ms);
        // A store that goes away breaks every watch on it.
        for (const c of this.candidates.values()) this.breakWatch(c);
        return;
      case 'delay':
        this.delay = { min: step.min, max: step.max };
        return;
      case 'crash': {
        const c = this.candidates.get(step.node)!;
        c.actor?.stop();
        c.clock?.clearAll();
        c.unwatch?.();
        c.actor = undefined;
        c.host = undefined;
        c.unwatch = undefined;
        this.check();
        return;
      }
      case 'restart': {
        const c = this.candidates.get(step.node)!;
        if (c.actor === undefined) this.boot(c);
        return;
      }
      case 'resign':
        this.candidates.get(step.node)!.actor?.send({ type: 'resign' });
        this.check();
        return;
    }
  }

  /** Runs virtual time forward by `ms`, event by event, checking after each. */
  run(ms: number): void {
    const until = this.time + ms;
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > until) break;
      this.queue.pop();
      if (next.cancelled) continue;
      this.time = next.at;
      next.run();
      this.check();
    }
    this.time = until;
    this.check();
  }

  isLeader(id: string): boolean {
    const c = this.candidates.get(id)!;
    const snap = c.actor?.getSnapshot();
    return (
      snap !== undefined && kvLeaseRole(snap.value) === 'leader' && c.host?.lease.holds() === true
    );
  }

  leaders(): string[] {
    return [...this.candidates.keys()].filter((id) => this.isLeader(id));
  }

  /**
   * Safety, at this instant: whoever may act as leader holds the key at the store under its
   * own token (so two valid leases never overlap), and tokens grow with every new holder.
   */
  private check(): void {
    const holder = this.store.readNow(KEY);
    const now = new Set(this.leaders());
    for (const id of now) {
      const token = this.candidates.get(id)!.actor!.getSnapshot().context.token as number | null;
      if (holder === null || holder.value !== id || holder.token !== token) {
        throw new Error(
          `${id} leads with token ${token} but the store holds ${JSON.stringify(holder)} at ${this.time}ms`,
        );
      }
      if (!this.leading.has(id)) {
        const last = this.grants.at(-1);
        if (
          last !== undefined &&
          (token! < last.token || (token === last.token && last.id !== id))
        ) {
          throw new Error(
            `${id} leads with token ${token} after ${last.id} led with ${last.token}`,
          );
        }
        this.grants.push({ id, token: token!, at: this.time });
        this.note(id, `leads with token ${token}`);
      }
    }
    if (now.size > 1) throw new Error(`${[...now].join(' and ')} lead at once at ${this.time}ms`);
    this.leading = now;
  }

  formatTrace(): string {
    return this.trace.slice(-200).join('\n');
  }

  private note(id: string, text: string): void {
    this.trace.push(`${String(this.time).padStart(6)} ${id} ${text}`);
    if (this.trace.length > 400) this.trace.splice(0, 200);
  }

  private boot(c: Candidate): void {
    c.incarnation++;
    const clock = new VirtualClock(
      this.queue,
      () => this.time,
      (run) => run(),
    );
    const actor = createActor(kvLeaseMachine, {
      clock,
      input: { id: c.id, key: KEY, campaign: true, timing: TIMING, seed: this.rng.seed() },
    });
    const incarnation = c.incarnation;
    const host = new NodeHost(
      { now: () => this.time },
      { send: (_to, msg) => this.request(c, incarnation, msg as KvRequest) },
    );
    c.actor = actor;
    c.clock = clock;
    c.host = host;
    actor.on('*', (e) => {
      if (c.incarnation === incarnation) host.apply(e as ProtocolEmitted);
    });
    actor.start();
    this.answer(c, incarnation, { type: 'connected', round: 0 });
  }

  private hop(): number {
    return this.rng.between(this.delay.min, this.delay.max);
  }

  private down(): boolean {
    return this.time < this.downUntil;
  }

  /** Delivers `reply` to the candidate after a network hop, if it is still the same incarnation. */
  private answer(c: Candidate, incarnation: number, reply: KvReply, delay = this.hop()): void {
    this.queue.push(this.time + delay, () => {
      if (c.incarnation !== incarnation || c.actor === undefined) return;
      c.actor.send({ type: 'receive', from: 'store', msg: reply });
    });
  }

  private request(c: Candidate, incarnation: number, req: KvRequest): void {
    this.queue.push(this.time + this.hop(), () => {
      if (this.down()) {
        if (req.type === 'watch' || req.type === 'unwatch') {
          this.answer(c, incarnation, {
            type: 'failed',
            round: req.round,
            op: req.type,
            message: 'down',
          });
        } else {
          // Nobody answers; the store actor gives up after its timeout.
          this.answer(
            c,
            incarnation,
            { type: 'failed', round: req.round, op: req.type, message: 'timeout' },
            TIMING.requestTimeoutMs,
          );
        }
        return;
      }
      this.serve(c, incarnation, req);
    });
  }

  private serve(c: Candidate, incarnation: number, req: KvRequest): void {
    const { store } = this;
    switch (req.type) {
      case 'acquire': {
        const r = store.acquireNow({
          key: req.key,
          value: req.value,
          ttlMs: req.ttlMs,
          ...(req.owner === null ? {} : { owner: req.owner }),
        });
        this.note(c.id, `store: acquire round ${req.round} -> ${JSON.stringify(r)}`);
        this.answer(
          c,
          incarnation,
          r.acquired
            ? { type: 'acquired', round: req.round, owner: r.owner, token: r.token }
            : { type: 'taken', round: req.round, holder: r.holder, owner: r.owner ?? null },
        );
        return;
      }
      case 'renew': {
        const ok = store.renewNow({ key: req.key, owner: req.owner, ttlMs: req.ttlMs });
        this.answer(c, incarnation, { type: ok ? 'renewed' : 'lost', round: req.round });
        return;
      }
      case 'release':
        store.releaseNow({ key: req.key, owner: req.owner });
        this.answer(c, incarnation, { type: 'released', round: req.round });
        return;
      case 'watch':
        c.unwatch?.();
        c.unwatch = store.watch(req.key, (event) => {
          if (event.type === 'holder') {
            this.answer(c, incarnation, { type: 'holder', round: req.round, holder: event.holder });
          }
        });
        this.watchRounds.set(c, req.round);
        return;
      case 'unwatch':
        c.unwatch?.();
        c.unwatch = undefined;
        return;
    }
  }

  private readonly watchRounds = new Map<Candidate, number>();

  private breakWatch(c: Candidate): void {
    if (c.unwatch === undefined) return;
    c.unwatch();
    c.unwatch = undefined;
    const round = this.watchRounds.get(c);
    if (round !== undefined) {
      this.answer(c, c.incarnation, { type: 'failed', round, op: 'watch', message: 'store down' });
    }
  }
}
