import { type HostPort, parseHostPort } from './address.js';
import { backoffDelay } from './backoff.js';
import { BoundedQueue } from './bounded-queue.js';
import { decodeFrame, encodeEnvelope, encodeHello, encodePing, encodeWake } from './envelope.js';
import {
  AUTH_FRAME_OVERHEAD,
  type AuthChannel,
  InitiatorHandshake,
  parseAuthHello,
  ResponderHandshake,
} from './stream-auth.js';
import type { ResolvedStreamOptions } from './stream-options.js';
import type { DropReason, TransportCommand, TransportEvent, TransportInput } from './types.js';
import type { StreamDriver, StreamDriverFactory, Wire, WireHandlers } from './wire.js';

// Frames held for a peer while (re)connecting; the protocol tolerates loss, so old ones go.
const QUEUE_FRAMES = 64;

// A peer this far behind on reading gets new frames dropped instead of buffered without bound.
const MAX_BUFFERED_FRAMES = 4;

interface Peer {
  readonly id: string;
  readonly target: HostPort;
  /** Our id sorts first, so we dial it; it never dials us. */
  readonly dialsOut: boolean;
  readonly queue: BoundedQueue<string>;
  active: Connection | undefined;
  attempt: number;
  retryTimer: NodeJS.Timeout | undefined;
}

interface Connection {
  wire: Wire | undefined;
  /** Known when dialing; learned from the hello when accepting. */
  peer: Peer | undefined;
  /** The session has given up on it: whatever it still reports is ignored. */
  done: boolean;
  /** Connect timeout when dialing, handshake timeout when accepting. */
  timer: NodeJS.Timeout | undefined;
  openedAt: number;
  /** The peer sent something, so it accepted our hello. */
  heard: boolean;
  /** When the link last carried a frame in, and out (performance.now()). */
  heardAt: number;
  sentAt: number;
  /** With a secret: seals and opens every frame once the handshake is done. */
  auth: AuthChannel | undefined;
  /** With a secret, dialing: the hello is sent, the responder's challenge awaited. */
  initiator: InitiatorHandshake | undefined;
  /** With a secret, accepting: the challenge is sent, the initiator's proof awaited. */
  responder: ResponderHandshake | undefined;
}

function newConnection(wire: Wire | undefined, peer: Peer | undefined): Connection {
  return {
    wire,
    peer,
    done: false,
    timer: undefined,
    openedAt: 0,
    heard: false,
    heardAt: 0,
    sentAt: 0,
    auth: undefined,
    initiator: undefined,
    responder: undefined,
  };
}

const IGNORE = (): void => {};

/**
 * Everything a stream transport does above the socket: peer table, who dials whom, the
 * hello handshake, envelope checks, per-peer queues and reconnects. One per running actor.
 */
export class StreamSession {
  private readonly peers = new Map<string, Peer>();
  private readonly connections = new Set<Connection>();
  private driver: StreamDriver | undefined;
  private stopped = false;
  private livenessTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly label: string,
    private readonly options: ResolvedStreamOptions,
    private readonly input: TransportInput,
    private readonly sendBack: (event: TransportEvent) => void,
    private readonly createDriver: StreamDriverFactory,
  ) {}

  start(): void {
    const self = this.input.id;
    for (const { id, address } of this.input.peers) {
      if (id === self || this.peers.has(id)) continue;
      let target: HostPort;
      try {
        target = parseHostPort(address);
      } catch (error) {
        this.fail(`peer ${JSON.stringify(id)}`, error);
        continue;
      }
      this.peers.set(id, {
        id,
        target,
        dialsOut: self < id,
        queue: new BoundedQueue(QUEUE_FRAMES),
        active: undefined,
        attempt: 0,
        retryTimer: undefined,
      });
    }
    try {
      this.driver = this.createDriver(this.options);
    } catch (error) {
      this.fail('configuration', error);
      return;
    }
    this.driver.listen({
      listening: () => {
        this.emit({ type: 'transport.ready' });
        for (const peer of this.peers.values()) if (!peer.dialsOut) this.wakeDialer(peer);
      },
      failed: (error) => this.fail(`cannot listen on ${this.options.listenText}`, error),
      accept: (wire) => this.accept(wire),
      drop: (reason) => this.dropped(reason),
    });
    for (const peer of this.peers.values()) if (peer.dialsOut) this.dial(peer);
    // Twice per ping interval, so a quiet link pings every 1 to 1.5 intervals.
    this.livenessTimer = setInterval(
      () => this.checkLiveness(),
      Math.max(1, Math.floor(this.options.pingIntervalMs / 2)),
    );
    this.livenessTimer.unref();
  }

  /** Pings every quiet link, and drops a link that has gone silent, so it is dialed anew. */
  private checkLiveness(): void {
    const now = performance.now();
    for (const peer of this.peers.values()) {
      const conn = peer.active;
      if (conn === undefined || conn.done || conn.wire === undefined) continue;
      if (now - conn.heardAt >= this.options.idleTimeoutMs) {
        this.reject(conn, 'timeout');
        continue;
      }
      if (now - conn.sentAt >= this.options.pingIntervalMs) this.write(conn, encodePing());
    }
  }

  send(command: TransportCommand): void {
    if (this.stopped || command.type !== 'send') return;
    const payload = encodeEnvelope(this.input.id, command.msg);
    // The receiver would drop an oversize frame and, over TCP, lose the whole connection.
    const room = this.options.maxFrameBytes - (this.options.secret ? AUTH_FRAME_OVERHEAD : 0);
    if (payload === undefined) return;
    // A UTF-8 byte per UTF-16 unit at least and three at most: only a long one needs counting.
    if (payload.length * 3 > room && Buffer.byteLength(payload) > room) return;
    if (command.to === '*') {
      for (const peer of this.peers.values()) this.deliver(peer, payload);
      return;
    }
    const peer = this.peers.get(command.to);
    if (peer !== undefined) this.deliver(peer, payload);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.livenessTimer);
    for (const peer of this.peers.values()) clearTimeout(peer.retryTimer);
    for (const conn of this.connections) {
      conn.done = true;
      clearTimeout(conn.timer);
    }
    this.connections.clear();
    try {
      this.driver?.close();
    } catch {
      // Cleanup must not throw; the driver has already released what it could.
    }
  }

  private deliver(peer: Peer, payload: string): void {
    const conn = peer.active;
    const wire = conn?.wire;
    if (conn === undefined || wire === undefined) {
      peer.queue.push(payload);
      return;
    }
    if (wire.bufferedBytes() > MAX_BUFFERED_FRAMES * this.options.maxFrameBytes) return;
    this.write(conn, payload);
  }

  private write(conn: Connection, payload: string): void {
    conn.sentAt = performance.now();
    conn.wire?.write(conn.auth === undefined ? payload : conn.auth.seal(payload));
  }

  private dial(peer: Peer): void {
    peer.retryTimer = undefined;
    const conn = newConnection(undefined, peer);
    this.connect(conn, peer.target, () => this.dialedHandlers(conn, peer));
  }

  /** Dials for `conn`, giving up after the connect timeout. */
  private connect(conn: Connection, target: HostPort, handlers: () => WireHandlers): void {
    const driver = this.driver;
    if (this.stopped || driver === undefined) return;
    this.connections.add(conn);
    conn.timer = setTimeout(() => this.abandon(conn), this.options.connectTimeoutMs);
    try {
      driver.dial(target, (wire) => {
        conn.wire = wire;
        return handlers();
      });
    } catch {
      this.abandon(conn);
      this.closed(conn);
    }
  }

  /**
   * A peer that dials us may be backing off after failing to reach us while we were down,
   * for as long as its cap. Now that we listen, a short connection carrying one wake frame
   * tells it to dial at once. Nothing is routed over it, and a peer that is down or too old
   * to know the frame costs one failed connection.
   */
  private wakeDialer(peer: Peer): void {
    // No peer on the connection itself: closing it must not schedule a redial.
    const conn = newConnection(undefined, undefined);
    this.connect(conn, peer.target, () => ({
      open: () => {
        if (conn.done || conn.wire === undefined) return;
        clearTimeout(conn.timer);
        conn.timer = undefined;
        const { secret } = this.options;
        const certified = this.certifies(conn.wire, peer.id);
        if (secret !== undefined && certified) {
          // With a secret the wake is a whole handshake, so that only members wake members.
          conn.initiator = new InitiatorHandshake(secret, this.input.id, 'wake');
          conn.wire.write(conn.initiator.hello());
          conn.timer = setTimeout(() => this.abandon(conn), this.options.handshakeTimeoutMs);
          return;
        }
        conn.done = true;
        if (certified) conn.wire.write(encodeWake(this.input.id));
        conn.wire.end();
      },
      frame: (payload) => {
        if (conn.done || conn.wire === undefined || conn.initiator === undefined) return;
        const answered = conn.initiator.answer(payload, peer.id);
        if (answered === undefined) {
          this.dropped('unauthenticated', peer.id);
          this.abandon(conn);
          return;
        }
        clearTimeout(conn.timer);
        conn.done = true;
        conn.wire.write(answered.proof);
        conn.wire.end();
      },
      drop: IGNORE,
      close: () => this.closed(conn),
    }));
  }

  /** A peer we dial says it is up: a redial waiting out its backoff goes now. */
  private woken(conn: Connection, id: string): void {
    const peer = this.peers.get(id);
    if (peer === undefined || !peer.dialsOut) {
      this.reject(conn, 'unknown-peer');
      return;
    }
    if (!this.certifies(conn.wire, peer.id)) {
      this.reject(conn, 'unauthenticated');
      return;
    }
    this.rouse(conn, peer);
  }

  private rouse(conn: Connection, peer: Peer): void {
    this.abandon(conn);
    if (peer.retryTimer === undefined) return;
    clearTimeout(peer.retryTimer);
    peer.attempt = 0;
    this.dial(peer);
  }

  private dialedHandlers(conn: Connection, peer: Peer): WireHandlers {
    return {
      open: () => {
        if (conn.done || conn.wire === undefined) return;
        clearTimeout(conn.timer);
        conn.timer = undefined;
        if (!this.certifies(conn.wire, peer.id)) {
          this.reject(conn, 'unauthenticated');
          return;
        }
        conn.openedAt = Date.now();
        const { secret } = this.options;
        if (secret === undefined) {
          conn.wire.write(encodeHello(this.input.id));
          this.activate(peer, conn);
          return;
        }
        // Nothing is routed over the connection until the peer has proved it holds the secret.
        conn.initiator = new InitiatorHandshake(secret, this.input.id, 'link');
        conn.wire.write(conn.initiator.hello());
        conn.timer = setTimeout(
          () => this.reject(conn, 'timeout'),
          this.options.handshakeTimeoutMs,
        );
      },
      frame: (payload) => {
        if (conn.done || conn.openedAt === 0) return;
        if (conn.initiator !== undefined) {
          this.challenged(conn, peer, conn.initiator, payload);
          return;
        }
        conn.heard = true;
        this.inbound(conn, peer, payload);
      },
      drop: (reason) => {
        if (!conn.done) this.dropped(reason, peer.id);
      },
      close: () => this.closed(conn),
    };
  }

  private accept(wire: Wire): WireHandlers {
    const conn = newConnection(wire, undefined);
    if (this.stopped) {
      conn.done = true;
      wire.destroy();
    } else {
      this.connections.add(conn);
      conn.timer = setTimeout(() => this.reject(conn, 'timeout'), this.options.handshakeTimeoutMs);
    }
    return {
      open: IGNORE,
      frame: (payload) => {
        if (conn.done) return;
        if (conn.peer === undefined) this.hello(conn, payload);
        else this.inbound(conn, conn.peer, payload);
      },
      drop: (reason) => {
        if (!conn.done) this.dropped(reason, conn.peer?.id);
      },
      close: () => this.closed(conn),
    };
  }

  /** The responder's challenge on a connection we dialed with a secret. */
  private challenged(
    conn: Connection,
    peer: Peer,
    initiator: InitiatorHandshake,
    payload: Uint8Array,
  ): void {
    const answered = initiator.answer(payload, peer.id);
    if (answered === undefined) {
      this.reject(conn, 'unauthenticated');
      return;
    }
    clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.initiator = undefined;
    conn.heard = true;
    conn.wire?.write(answered.proof);
    conn.auth = answered.channel;
    this.activate(peer, conn);
  }

  /** A frame on an established connection: opened first when authenticated. */
  private inbound(conn: Connection, peer: Peer, payload: Uint8Array): void {
    conn.heardAt = performance.now();
    const body = conn.auth === undefined ? payload : conn.auth.open(payload);
    if (body === undefined) {
      this.reject(conn, 'unauthenticated');
      return;
    }
    this.envelope(peer, body);
  }

  private hello(conn: Connection, payload: Uint8Array): void {
    const { secret } = this.options;
    if (secret !== undefined) {
      if (conn.responder === undefined) this.challenge(conn, payload, secret);
      else this.proven(conn, conn.responder, payload);
      return;
    }
    const frame = decodeFrame(payload);
    if (frame?.kind === 'auth') {
      // The peer holds a secret and this node has none: they cannot agree on anything.
      this.reject(conn, 'unauthenticated');
      return;
    }
    if (frame?.kind === 'wake') {
      this.woken(conn, frame.id);
      return;
    }
    if (frame?.kind !== 'hello') {
      this.reject(conn, 'malformed');
      return;
    }
    const peer = this.peers.get(frame.id);
    // Only peers whose id sorts before ours dial us; any other claimant is not a peer here.
    if (peer === undefined || peer.dialsOut) {
      this.reject(conn, 'unknown-peer');
      return;
    }
    if (!this.certifies(conn.wire, peer.id)) {
      this.reject(conn, 'unauthenticated');
      return;
    }
    clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.peer = peer;
    conn.wire?.established();
    this.activate(peer, conn);
  }

  /** The first frame of a connection accepted with a secret: a claim, answered by a challenge. */
  private challenge(conn: Connection, payload: Uint8Array, secret: Buffer): void {
    const hello = parseAuthHello(payload);
    if (hello === undefined) {
      // A plain hello or wake comes from a peer without the secret.
      this.reject(conn, decodeFrame(payload) === undefined ? 'malformed' : 'unauthenticated');
      return;
    }
    const peer = this.peers.get(hello.id);
    // Links come from the peers that dial us, wakes from the peers we dial.
    if (peer === undefined || peer.dialsOut !== (hello.intent === 'wake')) {
      this.reject(conn, 'unknown-peer');
      return;
    }
    if (!this.certifies(conn.wire, peer.id)) {
      this.reject(conn, 'unauthenticated');
      return;
    }
    conn.responder = new ResponderHandshake(secret, this.input.id, hello);
    conn.wire?.write(conn.responder.challenge());
  }

  /** The initiator's proof: only now may the connection speak for the id it claimed. */
  private proven(conn: Connection, responder: ResponderHandshake, payload: Uint8Array): void {
    const channel = responder.verify(payload);
    const peer = this.peers.get(responder.hello.id);
    if (channel === undefined || peer === undefined) {
      this.reject(conn, 'unauthenticated');
      return;
    }
    conn.responder = undefined;
    if (responder.hello.intent === 'wake') {
      this.rouse(conn, peer);
      return;
    }
    clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.peer = peer;
    conn.auth = channel;
    conn.wire?.established();
    this.activate(peer, conn);
  }

  private envelope(peer: Peer, payload: Uint8Array): void {
    const frame = decodeFrame(payload);
    if (frame?.kind === 'ping') return;
    if (frame?.kind !== 'envelope') {
      this.dropped('malformed', peer.id);
      return;
    }
    if (frame.from !== peer.id) {
      this.dropped('unknown-peer', peer.id);
      return;
    }
    let msg: unknown;
    try {
      msg = this.input.decode(frame.msg);
    } catch {
      msg = undefined;
    }
    if (msg === undefined) {
      this.dropped('invalid', peer.id);
      return;
    }
    this.emit({ type: 'receive', from: peer.id, msg });
  }

  /**
   * Makes `conn` the peer's route; a newer connection wins so a restarted peer can return.
   * Each displaced link is counted: a restarted peer costs one, while a stream of them says
   * someone keeps claiming the peer's id (only authentication can stop that).
   */
  private activate(peer: Peer, conn: Connection): void {
    const previous = peer.active;
    peer.active = conn;
    // A new link gets a whole idle timeout to be heard on.
    conn.heardAt = conn.sentAt = performance.now();
    if (previous !== undefined && previous !== conn) {
      this.dropped('replaced', peer.id);
      previous.done = true;
      clearTimeout(previous.timer);
      previous.wire?.end();
    }
    for (const payload of peer.queue.drain()) this.deliver(peer, payload);
  }

  /** Whether the connection may speak for `id`: always, unless certificates must name ids. */
  private certifies(wire: Wire | undefined, id: string): boolean {
    if (this.options.tls?.verifyPeerIds !== true) return true;
    return wire?.peerNames()?.includes(id) === true;
  }

  private reject(conn: Connection, reason: DropReason): void {
    if (conn.done) return;
    this.dropped(reason, conn.peer?.id);
    this.abandon(conn);
  }

  private abandon(conn: Connection): void {
    conn.done = true;
    clearTimeout(conn.timer);
    conn.timer = undefined;
    conn.wire?.destroy();
  }

  private closed(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    conn.done = true;
    clearTimeout(conn.timer);
    const peer = conn.peer;
    if (peer === undefined) return;
    if (peer.active === conn) peer.active = undefined;
    if (peer.dialsOut) this.redial(peer, conn);
  }

  private redial(peer: Peer, conn: Connection): void {
    if (this.stopped) return;
    const { baseMs, capMs } = this.options.backoff;
    // The hello gets no reply, so a peer that rejects it would look like a fresh success on
    // every dial; only a connection the peer spoke on, or one that lasted, resets the backoff.
    if (conn.heard || (conn.openedAt > 0 && Date.now() - conn.openedAt >= capMs)) peer.attempt = 0;
    const delay = backoffDelay(peer.attempt, baseMs, capMs);
    peer.attempt += 1;
    peer.retryTimer = setTimeout(() => this.dial(peer), delay);
  }

  private dropped(reason: DropReason, from?: string): void {
    this.emit(
      from === undefined
        ? { type: 'transport.dropped', reason }
        : { type: 'transport.dropped', reason, from },
    );
  }

  private fail(what: string, cause: unknown): void {
    const detail = cause instanceof Error ? cause.message : String(cause);
    const message = `${this.label} "${this.input.id}": ${what}: ${detail}`;
    this.emit({ type: 'transport.error', error: new Error(message, { cause }) });
  }

  private emit(event: TransportEvent): void {
    if (!this.stopped) this.sendBack(event);
  }
}
