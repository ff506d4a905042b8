import type { Socket } from 'node:net';

/** The default most connections a listener holds before their hello is accepted. */
export const DEFAULT_MAX_PENDING_CONNECTIONS = 64;

/**
 * Counts a listener's inbound connections that have not yet been accepted as a member's
 * (TLS handshake, HTTP upgrade, hello or authentication still to come). Each costs buffers
 * and a timer until its handshake clock runs out, so without a cap anyone who can reach the
 * port could hold any number of them; past the cap new ones are closed at once instead.
 * One address may hold only a share of the places, so a single flooding host leaves room
 * for members connecting from elsewhere.
 *
 * Connections are keyed by their remote address and port, which a TLS socket shares with
 * the raw socket below it, so either layer can settle the same entry.
 */
export class PendingConnections {
  /** Connection key to its remote address. */
  private readonly pending = new Map<string, string>();
  private readonly perAddress = new Map<string, number>();

  constructor(
    private readonly limit: number,
    private readonly perAddressLimit: number = limit,
  ) {}

  /** The key for `socket`, or undefined when it has already lost its address. */
  static key(socket: Socket): string | undefined {
    const { remoteAddress, remotePort } = socket;
    return remoteAddress === undefined || remotePort === undefined
      ? undefined
      : `${remoteAddress}|${remotePort}`;
  }

  /**
   * Holds a place for a just-accepted socket until it is settled or closes; false when
   * the listener, or the socket's address, has no place left and the socket must be closed.
   */
  admit(socket: Socket): boolean {
    const key = PendingConnections.key(socket);
    const address = socket.remoteAddress;
    if (key === undefined || address === undefined) return false;
    if (this.pending.size >= this.limit) return false;
    const held = this.perAddress.get(address) ?? 0;
    if (held >= this.perAddressLimit) return false;
    this.pending.set(key, address);
    this.perAddress.set(address, held + 1);
    socket.once('close', () => this.settle(key));
    return true;
  }

  /** The connection behind `key` was accepted (or rejected): it no longer holds a place. */
  settle(key: string | undefined): void {
    if (key === undefined) return;
    const address = this.pending.get(key);
    if (address === undefined) return;
    this.pending.delete(key);
    const held = (this.perAddress.get(address) ?? 1) - 1;
    if (held > 0) this.perAddress.set(address, held);
    else this.perAddress.delete(address);
  }

  get size(): number {
    return this.pending.size;
  }
}
