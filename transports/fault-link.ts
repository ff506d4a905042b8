import { createActor, emit, fromCallback, sendTo, setup } from 'xstate';
import type { TransportCommand, TransportEvent, TransportInput, TransportLogic } from './types.js';

/** What happens to one message on one directed link. */
export interface LinkVerdict {
  drop: boolean;
  /** Extra delay before it goes on (0: at once). */
  delayMs: number;
}

/** Decides the fate of each message; asked once per message, per direction. */
export interface FaultPolicy {
  /** A message `from` is about to send to `to` (broadcasts are asked about per peer). */
  onSend(from: string, to: string): LinkVerdict;
  /** A message from `from` has reached `to`. */
  onReceive(from: string, to: string): LinkVerdict;
}

/** Loss and delay on one directed link. */
export interface LinkRule {
  /** Share of messages lost, 0 to 1. */
  loss: number;
  delayMs: number;
}

/** Messages a directed link dropped and delayed so far. */
export interface LinkFaultCounts {
  dropped: number;
  delayed: number;
}

const PASS: LinkVerdict = { drop: false, delayMs: 0 };
const CUT: LinkVerdict = { drop: true, delayMs: 0 };

/**
 * A fault policy one can steer while the cluster runs: cut the cluster into groups, isolate
 * a node, or make one directed link lossy or slow. Cuts apply in both directions at both
 * ends; loss and delay apply once, where the message is sent. Drops and delays are counted
 * per link.
 */
export class LinkFaults implements FaultPolicy {
  private groupOf = new Map<string, number>();
  private isolated = new Set<string>();
  private rules = new Map<string, LinkRule>();
  private counts = new Map<string, LinkFaultCounts>();

  /** `random` decides losses (tests pass a seeded one). */
  constructor(private readonly random: () => number = Math.random) {}

  /** Members of different groups stop hearing each other; nodes in no group hear everyone. */
  partition(groups: readonly (readonly string[])[]): void {
    this.groupOf.clear();
    groups.forEach((group, i) => {
      for (const id of group) this.groupOf.set(id, i);
    });
  }

  /** Cuts `id` off from everyone (until `rejoin`), whatever the partition. */
  isolate(id: string): void {
    this.isolated.add(id);
  }

  /** Ends `isolate(id)`. */
  rejoin(id: string): void {
    this.isolated.delete(id);
  }

  /** Ends the partition; link rules stay until cleared. */
  heal(): void {
    this.groupOf.clear();
  }

  /** Sets loss and delay on the directed link `from` → `to`; zero for both clears it. */
  setLink(from: string, to: string, rule: LinkRule): void {
    if (!(rule.loss >= 0 && rule.loss <= 1))
      throw new RangeError(`loss must be 0 to 1, got ${rule.loss}`);
    if (!(rule.delayMs >= 0 && Number.isFinite(rule.delayMs))) {
      throw new RangeError(`delayMs must be 0 or more, got ${rule.delayMs}`);
    }
    const key = linkKey(from, to);
    if (rule.loss === 0 && rule.delayMs === 0) this.rules.delete(key);
    else this.rules.set(key, { ...rule });
  }

  /** Drops every link rule set with `setLink`. */
  clearLinks(): void {
    this.rules.clear();
  }

  /** The partition in force, as groups of ids (empty when whole). */
  groups(): string[][] {
    const groups = new Map<number, string[]>();
    for (const [id, g] of this.groupOf) groups.set(g, [...(groups.get(g) ?? []), id]);
    return [...groups.keys()].sort((a, b) => a - b).map((g) => groups.get(g)!);
  }

  /** The link rules in force, per directed link. */
  links(): { from: string; to: string; loss: number; delayMs: number }[] {
    return [...this.rules].map(([key, rule]) => {
      const [from, to] = splitKey(key);
      return { from, to, ...rule };
    });
  }

  /** Drops and delays so far, per directed link. */
  faultCounts(): { from: string; to: string; dropped: number; delayed: number }[] {
    return [...this.counts].map(([key, c]) => {
      const [from, to] = splitKey(key);
      return { from, to, ...c };
    });
  }

  /** Whether the partition or an isolation separates `from` from `to` now. */
  cut(from: string, to: string): boolean {
    if (this.isolated.has(from) || this.isolated.has(to)) return true;
    const a = this.groupOf.get(from);
    const b = this.groupOf.get(to);
    return a !== undefined && b !== undefined && a !== b;
  }

  onSend(from: string, to: string): LinkVerdict {
    if (this.cut(from, to)) return this.count(from, to, CUT);
    const rule = this.rules.get(linkKey(from, to));
    if (rule === undefined) return PASS;
    if (rule.loss > 0 && this.random() < rule.loss) return this.count(from, to, CUT);
    return rule.delayMs > 0 ? this.count(from, to, { drop: false, delayMs: rule.delayMs }) : PASS;
  }

  onReceive(from: string, to: string): LinkVerdict {
    // Catches what was already on the wire when the cut came.
    return this.cut(from, to) ? this.count(from, to, CUT) : PASS;
  }

  private count(from: string, to: string, verdict: LinkVerdict): LinkVerdict {
    const key = linkKey(from, to);
    let c = this.counts.get(key);
    if (c === undefined) {
      c = { dropped: 0, delayed: 0 };
      this.counts.set(key, c);
    }
    if (verdict.drop) c.dropped++;
    else if (verdict.delayMs > 0) c.delayed++;
    return verdict;
  }
}

interface OuterSend {
  type: 'fault-link.send';
  to: string;
  msg: unknown;
}

const linkKey = (from: string, to: string): string => `${from}\u0000${to}`;
const splitKey = (key: string): [string, string] => key.split('\u0000') as [string, string];

/**
 * Wraps any transport so that `policy` may drop or delay each message it sends or
 * receives. The wrapped transport runs unchanged inside; only what crosses the wrapper
 * is judged, so the same faults work over TCP, WebSocket, UDP or memory.
 */
export function faultLink(inner: TransportLogic, policy: FaultPolicy): TransportLogic {
  return fromCallback<TransportCommand, TransportInput>(({ input, sendBack, receive }) => {
    const peers = input.peers.map((p) => p.id);
    const timers = new Set<NodeJS.Timeout>();
    let stopped = false;
    const later = (ms: number, run: () => void): void => {
      const timer = setTimeout(() => {
        timers.delete(timer);
        if (!stopped) run();
      }, ms);
      timers.add(timer);
    };
    const onInner = (event: TransportEvent): void => {
      if (event.type !== 'receive') {
        sendBack(event);
        return;
      }
      const verdict = policy.onReceive(event.from, input.id);
      if (verdict.drop) return;
      if (verdict.delayMs > 0) later(verdict.delayMs, () => sendBack(event));
      else sendBack(event);
    };
    // A one-state machine hosts the inner transport as its child: the child's events come
    // to it (its parent) to be judged, and stopping it stops the child the usual way.
    const host = createActor(
      setup({
        types: {
          events: {} as OuterSend | TransportEvent,
          emitted: {} as { type: 'inner'; event: TransportEvent },
        },
        actors: { inner },
      }).createMachine({
        invoke: { id: 'inner', src: 'inner', input },
        on: {
          'fault-link.send': {
            actions: sendTo('inner', ({ event }) => ({
              type: 'send' as const,
              to: (event as OuterSend).to,
              msg: (event as OuterSend).msg,
            })),
          },
          // Emitted rather than handled in a custom action: listeners run after the step,
          // so the runtime's reaction to the event is not nested inside this machine's.
          '*': {
            actions: emit(({ event }) => ({ type: 'inner', event: event as TransportEvent })),
          },
        },
      }),
    );
    host.on('inner', ({ event }) => onInner(event));
    host.start();
    const transport = {
      send: (cmd: TransportCommand) =>
        host.send({ type: 'fault-link.send', to: cmd.to, msg: cmd.msg }),
    };
    const forward = (to: string, msg: unknown): void => {
      const verdict = policy.onSend(input.id, to);
      if (verdict.drop) return;
      const cmd: TransportCommand = { type: 'send', to, msg };
      if (verdict.delayMs > 0) later(verdict.delayMs, () => transport.send(cmd));
      else transport.send(cmd);
    };
    receive((cmd) => {
      // Broadcasts are judged per link; a transport that learns its peers by itself
      // (multicast) gets the broadcast as is, and its faults apply on receipt.
      if (cmd.to === '*' && peers.length > 0) for (const to of peers) forward(to, cmd.msg);
      else if (cmd.to === '*') transport.send(cmd);
      else forward(cmd.to, cmd.msg);
    });
    return () => {
      stopped = true;
      for (const timer of timers) clearTimeout(timer);
      host.stop();
    };
  });
}
