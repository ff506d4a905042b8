import type { AnyActorRef, InspectionEvent } from 'xstate';

/** One message seen crossing a node's edge, for the page's sampled message view. */
export interface SampledMessage {
  seq: number;
  /** ms since the traffic log began. */
  t: number;
  from: string;
  to: string;
  kind: string;
  /** 'sent' as it left its sender, 'received' as it reached the receiver. */
  dir: 'sent' | 'received';
}

const SAMPLE_SIZE = 64;

function messageKind(msg: unknown): string {
  const type = (msg as { type?: unknown } | null)?.type;
  return typeof type === 'string' ? type.slice(0, 32) : 'message';
}

/**
 * Counts messages per directed link and keeps a short sample of the latest, fed from
 * XState inspection events: a `send` event reaching a node's transport is a message
 * leaving, a `receive` event reaching the node itself is one arriving (after any faults).
 */
export class MessageTraffic {
  private readonly sent = new Map<string, number>();
  private readonly received = new Map<string, number>();
  private readonly sample: SampledMessage[] = [];
  private seq = 0;
  private delivered = 0;
  private readonly began = performance.now();

  constructor(private readonly peersOf: (id: string) => readonly string[]) {}

  /** An `inspect` callback for node `id`. */
  inspector(id: string): (event: InspectionEvent) => void {
    return (event) => {
      if (event.type !== '@xstate.event') return;
      const e = event.event as { type: string; to?: unknown; from?: unknown; msg?: unknown };
      if (
        e.type === 'send' &&
        (event.actorRef as AnyActorRef).id === 'transport' &&
        typeof e.to === 'string'
      ) {
        const targets = e.to === '*' ? this.peersOf(id) : [e.to];
        for (const to of targets) this.note(this.sent, id, to, e.msg, 'sent');
      } else if (
        e.type === 'receive' &&
        event.actorRef.sessionId === event.rootId &&
        typeof e.from === 'string'
      ) {
        this.note(this.received, e.from, id, e.msg, 'received');
      }
    };
  }

  private note(
    counts: Map<string, number>,
    from: string,
    to: string,
    msg: unknown,
    dir: SampledMessage['dir'],
  ): void {
    const key = `${from}\u0000${to}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    this.seq++;
    // Receipts only: each message then shows once, where it landed.
    if (dir === 'received') {
      this.delivered++;
      this.sample.push({
        seq: this.seq,
        t: Math.round(performance.now() - this.began),
        from,
        to,
        kind: messageKind(msg),
        dir,
      });
      if (this.sample.length > SAMPLE_SIZE) this.sample.shift();
    }
  }

  /** Totals per link since the start: [from, to, sent, received]. */
  links(): [string, string, number, number][] {
    const keys = new Set([...this.sent.keys(), ...this.received.keys()]);
    return [...keys].map((key) => {
      const [from, to] = key.split('\u0000') as [string, string];
      return [from, to, this.sent.get(key) ?? 0, this.received.get(key) ?? 0];
    });
  }

  /** The latest messages after `afterSeq`, at most `limit`. */
  recent(afterSeq: number, limit = 24): SampledMessage[] {
    const fresh = this.sample.filter((m) => m.seq > afterSeq);
    return fresh.slice(-limit);
  }

  /** Messages delivered so far (after faults). */
  get total(): number {
    return this.delivered;
  }
}
