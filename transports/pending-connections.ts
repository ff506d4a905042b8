import type { Socket } from 'node:net';

/** The default most connections a listener holds before their hello is accepted. */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 64;

/**
 * Counts a listener's inbound connections that have not yet been accepted as a member's
 * (TLS handshake, HTTP upgrade, hello or authentication still to come). Each costs buffers
 * and a timer until its handshake clock runs out, so without a cap anyone who can reach the
 * port could hold any number of them; past the cap new ones are closed at once instead.
 *
 * Connections are keyed by their remote address and port, which a TLS socket shares with
 * the raw socket below it, so either layer can settle the same entry.
 */
export class PendingConnections {
  private readonly pending = new Set<string>();

  constructor(private readonly limit: number) {}

  /** The key for `socket`, or undefined when it has already lost its address. */
  static key(socket: Socket): string | undefined {
    const { remoteAddress, remotePort } = socket;
    return remoteAddress === undefined || remotePort === undefined
      ? undefined
      : `${remoteAddress}|${remotePort}`;
  }

  /**
   * Holds a place for a just-accepted socket until it is settled or closes; false when
   * the listener is full and the socket must be closed.
   */
  admit(socket: Socket): boolean {
    const key = PendingConnections.key(socket);
    if (key === undefined) return false;
    if (this.pending.size >= this.limit) return false;
    this.pending.add(key);
    socket.once('close', () => this.pending.delete(key));
    return true;
  }

  /** The connection behind `key` was accepted (or rejected): it no longer holds a place. */
  settle(key: string | undefined): void {
    if (key !== undefined) this.pending.delete(key);
  }

  get size(): number {
    return this.pending.size;
  }
}
