import type { Socket } from 'node:net';

/** How long a graceful close may take to flush before the connection is destroyed. */
export const CLOSE_GRACE_MS = 200;

// Probes start well before typical NAT/firewall idle cut-offs, so silent peers are noticed.
const KEEPALIVE_INITIAL_DELAY_MS = 10_000;

/** Election traffic is small and latency-sensitive; dead peers must eventually be noticed. */
export function tuneSocket(socket: Socket): void {
  socket.setNoDelay(true);
  socket.setKeepAlive(true, KEEPALIVE_INITIAL_DELAY_MS);
}

/**
 * Runs `force` after the close grace unless cancelled. The timer is unref'd so a closing
 * connection never keeps the process alive.
 */
export function afterGrace(force: () => void): NodeJS.Timeout {
  const timer = setTimeout(force, CLOSE_GRACE_MS);
  timer.unref();
  return timer;
}

/** Half-closes so written frames flush, then destroys if the other side lingers. */
export function endGracefully(socket: Socket): void {
  if (socket.destroyed) return;
  socket.end();
  const timer = afterGrace(() => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}
