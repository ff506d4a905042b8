import type { HostPort } from './address.js';
import type { ResolvedStreamOptions } from './stream-options.js';
import type { DropReason } from './types.js';

/** One connection as the session sees it; the driver below it owns framing and sockets. */
export interface Wire {
  /** Sends one frame. Silently does nothing once the connection is closing. */
  write(payload: string): void;
  /** Bytes accepted by `write` but not yet handed to the OS, for back-pressure. */
  bufferedBytes(): number;
  /** Lets written frames flush, then closes; forced after a short grace. */
  end(): void;
  /** Closes at once, discarding anything unsent. */
  destroy(): void;
  /** Names in the peer's verified certificate (see certificateNames); undefined without TLS. */
  peerNames(): string[] | undefined;
  /** The session took an accepted connection as a member's: it stops counting as pending. */
  established(): void;
}

/** What a driver reports about one connection to the session. */
export interface WireHandlers {
  /** A dialed connection is established (TLS verified, upgrade done); never on accepted ones. */
  open(): void;
  /** One complete inbound frame, still undecoded. */
  frame(payload: Uint8Array): void;
  /** Input unusable below the envelope layer; the driver closes the connection itself. */
  drop(reason: DropReason): void;
  /** Called exactly once, however the connection ended, including a dial that never connected. */
  close(): void;
}

/** What the session gives a driver's listener. */
export interface ListenHooks {
  listening(): void;
  failed(error: Error): void;
  accept(wire: Wire): WireHandlers;
  /** Bad input on a connection rejected before it reached the session (TLS, HTTP upgrade). */
  drop(reason: DropReason): void;
}

/** The socket-level half of a stream transport: TCP or WebSocket, plain or TLS. */
export interface StreamDriver {
  listen(hooks: ListenHooks): void;
  dial(target: HostPort, attach: (wire: Wire) => WireHandlers): void;
  /** Stops listening and closes every connection gracefully. Idempotent; never throws. */
  close(): void;
}

/** Builds a driver for one transport instance; throws on unusable configuration (TLS). */
export type StreamDriverFactory = (options: ResolvedStreamOptions) => StreamDriver;
