import { fromCallback } from 'xstate';
import type { TransportCommand, TransportEvent, TransportInput, TransportLogic } from './types.js';

/** Options of `MemoryNetwork`. */
export interface MemoryNetworkOptions {
  /** Delivery delay in ms (default 0: the next macrotask). */
  delayMs?: number;
}

type Deliver = (from: string, msg: unknown) => void;

/**
 * An in-process network for running real election nodes side by side (tests, demos):
 * messages cross a timer, never a socket, and links can be cut and healed. Payloads are
 * copied through JSON and validated by the receiver, exactly as a socket would force.
 */
export class MemoryNetwork {
  private nodes = new Map<string, Deliver>();
  private blocked = new Set<string>();
  readonly delayMs: number;

  constructor(options: MemoryNetworkOptions = {}) {
    this.delayMs = options.delayMs ?? 0;
  }

  /** Isolates `id`: nothing reaches it and nothing it sends arrives. */
  isolate(id: string): void {
    this.blocked.add(id);
  }

  /** Ends `isolate(id)`, or every isolation when called without an id. */
  heal(id?: string): void {
    if (id === undefined) this.blocked.clear();
    else this.blocked.delete(id);
  }

  /**
   * Connects node `id`: `deliver` receives what is sent to it. Returns a function that detaches it.
   */
  attach(id: string, deliver: Deliver): () => void {
    this.nodes.set(id, deliver);
    return () => {
      if (this.nodes.get(id) === deliver) this.nodes.delete(id);
    };
  }

  /**
   * Sends a copy of `msg` (through JSON) from `from` to `to` after the network's delay, unless
   * either is isolated.
   */
  send(from: string, to: string, msg: unknown): void {
    if (this.blocked.has(from) || this.blocked.has(to)) return;
    const text = JSON.stringify(msg);
    const timer = setTimeout(() => {
      if (this.blocked.has(from) || this.blocked.has(to)) return;
      this.nodes.get(to)?.(from, JSON.parse(text));
    }, this.delayMs);
    timer.unref();
  }
}

/**
 * A transport over a `MemoryNetwork`: every member of one in-process cluster shares the network.
 */
export function memoryTransport(network: MemoryNetwork): TransportLogic {
  return fromCallback<TransportCommand, TransportInput>(({ input, sendBack, receive }) => {
    const peers = new Set(input.peers.map((p) => p.id));
    const back = (e: TransportEvent) => sendBack(e);
    const detach = network.attach(input.id, (from, raw) => {
      if (!peers.has(from))
        return back({ type: 'transport.dropped', reason: 'unknown-peer', from });
      const msg = input.decode(raw);
      if (msg === undefined) return back({ type: 'transport.dropped', reason: 'invalid', from });
      back({ type: 'receive', from, msg });
    });
    receive((cmd) => {
      if (cmd.to === '*') for (const to of peers) network.send(input.id, to, cmd.msg);
      else if (peers.has(cmd.to)) network.send(input.id, cmd.to, cmd.msg);
    });
    queueMicrotask(() => back({ type: 'transport.ready' }));
    return detach;
  });
}
