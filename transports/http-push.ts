import type http from 'node:http';
import type { Duplex } from 'node:stream';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import { tuneSocket } from './socket-lifecycle.js';
import type { DropReason } from './types.js';

/** Where a node publishes its state changes over WebSocket. */
export const PUSH_PATH = '/push';

// A peer that refused the upgrade (a reference node has no /push) is not asked again soon.
const NO_PUSH_RETRY_MS = 60_000;
const MAX_SUBSCRIBERS = 256;
const HANDSHAKE_TIMEOUT_MS = 3000;
const GOING_AWAY = 1001;

export interface PushHooks {
  /** A state a peer published, as text; the transport validates it. */
  state(from: string, text: string): void;
  /** An open link to the peer closed: the peer went away. */
  lost(from: string): void;
  drop(reason: DropReason, from?: string): void;
}

/**
 * The publishing side: whoever connects to `/push` hears every state this node publishes.
 * A node only listens to links it dialed itself, to the address it polls, so a push is as
 * trustworthy as a poll answer: nobody can push in another node's name.
 */
export class PushPublisher {
  private readonly wss: WebSocketServer;
  private readonly subscribers = new Set<WebSocket>();
  private last: string | undefined;

  constructor(maxPayload: number) {
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload,
      perMessageDeflate: false,
      clientTracking: false,
    });
  }

  /** Takes over an upgrade request for `/push`; false when it must be refused. */
  accept(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (this.subscribers.size >= MAX_SUBSCRIBERS) return false;
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      tuneSocket(socket as import('node:net').Socket);
      this.subscribers.add(ws);
      // Subscribers only listen; anything they send is ignored.
      ws.on('error', () => {});
      ws.once('close', () => this.subscribers.delete(ws));
      if (this.last !== undefined) ws.send(this.last);
    });
    return true;
  }

  publish(text: string): void {
    if (text === this.last) return;
    this.last = text;
    for (const ws of this.subscribers) if (ws.readyState === WebSocket.OPEN) ws.send(text);
  }

  close(): void {
    for (const ws of this.subscribers) {
      ws.close(GOING_AWAY);
      setTimeout(() => ws.terminate(), 200).unref();
    }
    this.subscribers.clear();
    this.wss.close();
  }
}

interface Link {
  ws: WebSocket;
  open: boolean;
}

/** The listening side: one link to each peer that publishes, dialed after it answered a poll. */
export class PushSubscriptions {
  private readonly links = new Map<string, Link>();
  private readonly refusedUntil = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly hooks: PushHooks,
    private readonly maxPayload: number,
  ) {}

  /** Dials `address` unless a link is up or being set up, or it recently refused. */
  ensure(address: string): void {
    if (this.closed || this.links.has(address)) return;
    const until = this.refusedUntil.get(address);
    if (until !== undefined && Date.now() < until) return;
    let ws: WebSocket;
    try {
      ws = new WebSocket(`ws://${address}${PUSH_PATH}`, {
        maxPayload: this.maxPayload,
        perMessageDeflate: false,
        handshakeTimeout: HANDSHAKE_TIMEOUT_MS,
      });
    } catch {
      return;
    }
    const link: Link = { ws, open: false };
    this.links.set(address, link);
    ws.on('unexpected-response', (_req, res) => {
      // The peer speaks HTTP but not push: poll it like a reference node.
      this.refusedUntil.set(address, Date.now() + NO_PUSH_RETRY_MS);
      res.resume();
      ws.terminate();
    });
    ws.once('upgrade', (res) => tuneSocket(res.socket));
    ws.once('open', () => {
      link.open = true;
    });
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (isBinary) {
        this.hooks.drop('malformed', address);
        return;
      }
      this.hooks.state(address, data.toString());
    });
    ws.on('error', (error: Error & { code?: string }) => {
      if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.hooks.drop('oversize', address);
      else if (error.code?.startsWith('WS_ERR_')) this.hooks.drop('malformed', address);
    });
    ws.once('close', () => {
      if (this.links.get(address) === link) this.links.delete(address);
      if (link.open && !this.closed) this.hooks.lost(address);
    });
  }

  close(): void {
    this.closed = true;
    for (const { ws } of this.links.values()) ws.terminate();
    this.links.clear();
  }
}
