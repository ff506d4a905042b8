import type { EventObject } from 'xstate';
import type { DurableState } from '../../machines/protocol-definition.js';
import type { ProtocolEmitted } from '../../machines/protocol-events.js';
import { LeaseClock, type LeaseState } from './lease-clock.js';

/**
 * What a host lends the machine it runs: a network, a disk, and someone to tell. The runtime
 * lends real sockets and files, the simulator a simulated network and memory, the model
 * checker interned messages and a state record.
 */
export interface HostCapabilities {
  /** Carries one message to one member (or to '*' when the host has no member list). */
  send(to: string, msg: unknown): void;
  /** Writes term and vote where they survive a crash; throws if it could not. */
  persist?(state: DurableState): void;
  /** A durable write failed; sends stay held until a later one succeeds. */
  persistFailed?(error: Error): void;
  /** The lease deadline moved: it was granted, extended or ended. */
  leaseChanged?(): void;
  /** Every effect but a send, once carried out: for traces, and protocol-specific ones (a refusal). */
  observe?(effect: ProtocolEmitted): void;
  /**
   * A timer armed (`step` only: a running actor arms its own on the clock it was given). One
   * armed again under the same id replaces the old one.
   */
  setTimer?(id: string, event: EventObject, delayMs: number): void;
  /** A timer cancelled (`step` only). */
  cancelTimer?(id: string): void;
}

/** An action as XState's pure `transition` returns it. */
export interface MachineAction {
  type: string;
  params?: Record<string, unknown>;
}

export interface NodeHostOptions {
  /** The clock the lease is kept on (ms). */
  now: () => number;
  /**
   * The other members, when the host fans a broadcast out itself (simulator, checker);
   * without it '*' goes to the network as it is (a transport that broadcasts).
   */
  others?: readonly string[];
  /** What the node kept on disk from an earlier life. */
  durable?: DurableState | undefined;
  /** A lease carried over, as time left from now (the checker's states). */
  lease?: LeaseState;
}

/**
 * Carries out what a protocol machine emits, for every host of one: the runtime, the
 * simulator and the model checker all run a machine through this, so the checker verifies
 * the effects the shipped runtime performs. As with etcd-io/raft's Ready, the machine only
 * says what must happen; here is the one place that says how: a broadcast is fanned out,
 * durable state is written once per step, before the step's first send leaves (and sends
 * are held while it cannot be), and the lease deadline is kept on the host's clock.
 *
 * A step may change its durable state twice (a later term adopted, then a vote cast in it);
 * only the last counts, so it is written once, when a send needs it or the step ends
 * (`endStep`): one fsync per step, as etcd writes one HardState per Ready.
 */
export class NodeHost {
  readonly lease: LeaseClock;
  /** Term and vote as last written (undefined until the machine first persists). */
  durable: DurableState | undefined;
  /** True while the last durable write failed: no vote may leave that might not survive. */
  holdingSends = false;
  private readonly others: readonly string[] | undefined;
  /** Durable state emitted in this step and not yet written. */
  private unwritten: DurableState | undefined;

  constructor(
    options: NodeHostOptions,
    private readonly caps: HostCapabilities,
  ) {
    this.lease = new LeaseClock(options.now, options.lease);
    this.durable = options.durable;
    this.others = options.others;
  }

  /** Carries out one effect. */
  apply(effect: ProtocolEmitted): void {
    switch (effect.type) {
      case 'send':
        this.flush();
        if (this.holdingSends) return;
        if (effect.to === '*' && this.others !== undefined) {
          for (const to of this.others) this.caps.send(to, effect.msg);
        } else {
          this.caps.send(effect.to, effect.msg);
        }
        return;
      case 'persist':
        this.unwritten = { term: effect.term, votedFor: effect.votedFor };
        break;
      case 'lease.start':
      case 'lease.granted':
      case 'lease.revoked':
        if (this.lease.observe(effect)) this.caps.leaseChanged?.();
        break;
      default:
        break;
    }
    this.caps.observe?.(effect);
  }

  /**
   * Carries out the actions of one pure step (XState's `transition`), in order: timers armed
   * and cancelled, and every emitted effect. This is how the model checker runs a machine;
   * a running actor does its timers itself and hands its emits to `apply`.
   */
  step(actions: readonly MachineAction[]): void {
    for (const action of actions) {
      const p = action.params ?? {};
      switch (action.type) {
        case 'xstate.cancel':
          this.caps.cancelTimer?.(String(p.sendId));
          break;
        case 'xstate.raise':
          // A raise without a delay is an internal event, already taken within the step.
          if (typeof p.delay === 'number') {
            this.caps.setTimer?.(String(p.id), p.event as EventObject, p.delay);
          }
          break;
        case 'xstate.emit':
          this.apply(p.event as ProtocolEmitted);
          break;
        default:
          break;
      }
    }
    this.endStep();
  }

  /** The machine finished a step: what it must keep is written now, if not already. */
  endStep(): void {
    this.flush();
  }

  /** Whether a node in the leader role may act as one now: its lease, if it keeps one, holds. */
  leaseHolds(leased: boolean): boolean {
    return !leased || this.lease.holds();
  }

  private flush(): void {
    const state = this.unwritten;
    if (state === undefined) return;
    this.unwritten = undefined;
    try {
      this.caps.persist?.(state);
    } catch (err) {
      this.holdingSends = true;
      this.caps.persistFailed?.(err as Error);
      return;
    }
    this.durable = state;
    this.holdingSends = false;
  }
}
