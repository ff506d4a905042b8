import { type Actor, type AnyActorRef, createActor, emit, fromCallback, setup } from 'xstate';
import type {
  PeerAddress,
  TransportCommand,
  TransportEvent,
  TransportInput,
  TransportLogic,
} from '../../../transports/types.js';
import { type GroupDropReason, readBatch } from './batch.js';
import { Outbox } from './outbox.js';

/** What one link to one peer carried, in frames and in the messages inside them. */
export interface PeerTraffic {
  id: string;
  framesSent: number;
  framesReceived: number;
  messagesSent: number;
  messagesReceived: number;
}

export interface GroupLinkOptions {
  id: string;
  /** The other members. */
  peers: PeerAddress[];
  /** The one transport every election's messages share. */
  transport: TransportLogic;
  /** The elections this member runs. */
  names: readonly string[];
  /** The elections' message validator: the typed message, or undefined to drop it. */
  decode: (msg: unknown) => unknown | undefined;
  /** The transport's largest frame. */
  maxFrameBytes: number;
  /** Something failed outside any one machine: a transport, or delivery to an election. */
  failed: (election: string | undefined, error: Error) => void;
  /** The clock a peer's last frame is timed on (default: the monotonic clock). */
  now?: () => number;
}

// The envelope around a batch (version, sender id, keys) and a shared secret's seal.
const ENVELOPE_ROOM_BYTES = 1024;

/** Runs the one transport as an actor of its own, so its events reach the link. */
function linkMachine(transport: TransportLogic) {
  return setup({
    types: {
      context: {} as TransportInput,
      input: {} as TransportInput,
      events: {} as TransportEvent,
      emitted: {} as TransportEvent,
    },
    actors: { transport },
  }).createMachine({
    context: ({ input }) => input,
    invoke: { id: 'transport', src: 'transport', input: ({ context }) => context },
    on: { '*': { actions: emit(({ event }) => event) } },
  });
}

type SendBack = (event: TransportEvent) => void;

/**
 * Many elections over one transport: one connection per peer, whatever the number of
 * elections. Each election sees an ordinary transport (a port); what the elections send to
 * one peer within one turn of the event loop leaves as one frame, a batch of entries tagged
 * with each election's name. Inbound batches are checked at this edge: a malformed or
 * oversize batch, an entry for an election this member does not run, and a message that
 * fails the protocol's schema are each dropped and counted, and never thrown.
 */
export class GroupLink {
  private readonly ports = new Map<string, SendBack>();
  private readonly known: ReadonlySet<string>;
  private readonly peerIds: readonly string[];
  private readonly traffic = new Map<string, PeerTraffic>();
  private readonly outbox: Outbox;
  private readonly dropped: Partial<Record<GroupDropReason, number>> = {};
  private readonly lastHeard = new Map<string, number>();
  private readonly now: () => number;
  private actor: Actor<ReturnType<typeof linkMachine>> | undefined;
  private transportRef: AnyActorRef | undefined;
  private flushing: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly options: GroupLinkOptions) {
    this.known = new Set(options.names);
    this.now = options.now ?? (() => performance.now());
    this.peerIds = options.peers.map((p) => p.id);
    for (const id of this.peerIds) {
      this.traffic.set(id, {
        id,
        framesSent: 0,
        framesReceived: 0,
        messagesSent: 0,
        messagesReceived: 0,
      });
    }
    this.outbox = new Outbox(options.maxFrameBytes - ENVELOPE_ROOM_BYTES);
  }

  /** Starts the transport; resolves once it listens, rejects if it cannot. */
  start(): Promise<void> {
    const { id, peers } = this.options;
    // Batches are read here, entry by entry, where each drop can be told apart.
    const decode = (raw: unknown) => raw;
    const actor = createActor(linkMachine(this.options.transport), {
      input: { id, peers, decode },
    });
    this.actor = actor;
    this.transportRef = actor.getSnapshot().children.transport as AnyActorRef;
    const ready = new Promise<void>((resolve, reject) => {
      let starting = true;
      actor.on('*', (event) => {
        const e = event as TransportEvent;
        if (e.type === 'receive') this.inbound(e.from, e.msg);
        else if (e.type === 'transport.dropped') this.count(e.reason);
        else if (e.type === 'transport.ready') {
          starting = false;
          resolve();
        } else if (starting) {
          starting = false;
          reject(e.error);
        } else this.options.failed(undefined, e.error);
      });
    });
    actor.start();
    return ready.catch((err) => {
      this.stop();
      throw err;
    });
  }

  /** Sends what is queued, then closes the transport (which lets written frames drain). */
  stop(): void {
    if (this.stopped) return;
    this.flush();
    this.stopped = true;
    this.actor?.stop();
  }

  /** The transport election `name` runs on; only one election of that name may use it at once. */
  port(name: string): TransportLogic {
    return fromCallback<TransportCommand, TransportInput>(({ sendBack, receive }) => {
      this.ports.set(name, sendBack);
      receive((command) => this.send(name, command));
      queueMicrotask(() => sendBack({ type: 'transport.ready' }));
      return () => {
        if (this.ports.get(name) === sendBack) this.ports.delete(name);
      };
    });
  }

  /** Frames and messages per peer so far. */
  peers(): PeerTraffic[] {
    return [...this.traffic.values()].map((t) => ({ ...t }));
  }

  /** The peers a frame came from within the last `ms`: the members alive as far as this one knows. */
  heardWithin(ms: number): string[] {
    const now = this.now();
    return [...this.lastHeard].filter(([, at]) => now - at <= ms).map(([id]) => id);
  }

  /** Inbound frames and entries thrown away so far, by reason. */
  drops(): Partial<Record<GroupDropReason, number>> {
    return { ...this.dropped };
  }

  private send(name: string, { to, msg }: TransportCommand): void {
    if (this.stopped) return;
    if (to === '*') for (const peer of this.peerIds) this.outbox.add(peer, name, msg);
    else if (this.traffic.has(to)) this.outbox.add(to, name, msg);
    else return;
    // Whatever else the elections send in this turn of the event loop joins the same frames.
    this.flushing ??= setImmediate(() => this.flush());
  }

  private flush(): void {
    if (this.flushing !== undefined) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.stopped || this.outbox.empty) return;
    for (const { to, entries } of this.outbox.drain()) {
      const traffic = this.traffic.get(to)!;
      traffic.framesSent++;
      traffic.messagesSent += entries.length;
      this.transportRef?.send({ type: 'send', to, msg: { batch: entries } });
    }
  }

  private inbound(from: string, raw: unknown): void {
    const traffic = this.traffic.get(from);
    if (traffic === undefined) return;
    traffic.framesReceived++;
    this.lastHeard.set(from, this.now());
    const read = readBatch(raw, (name) => this.known.has(name));
    for (const [reason, n] of Object.entries(read.dropped) as [GroupDropReason, number][]) {
      this.count(reason, n);
    }
    traffic.messagesReceived += read.entries.length;
    for (const [name, body] of read.entries) {
      // An election not running (yet, or any more) hears nothing, like a stopped node.
      const deliver = this.ports.get(name);
      if (deliver === undefined) continue;
      try {
        const msg = this.options.decode(body);
        if (msg === undefined) {
          this.count('invalid');
          deliver({ type: 'transport.dropped', reason: 'invalid', from });
        } else {
          deliver({ type: 'receive', from, msg });
        }
      } catch (err) {
        this.options.failed(name, err instanceof Error ? err : new Error(String(err)));
      }
    }
  }

  private count(reason: GroupDropReason, n = 1): void {
    this.dropped[reason] = (this.dropped[reason] ?? 0) + n;
  }
}
