import type { Socket } from 'node:net';
import type { Server } from 'node:tls';
import { afterGrace } from './socket-lifecycle.js';
import { tlsFailureReason } from './tls-config.js';
import type { DropReason } from './types.js';

/**
 * Follows a TLS server's raw TCP connections: reports failed handshakes, and returns a
 * closer that destroys what is left after the close grace. It waits out the grace so TLS
 * sockets above these get to send their close first.
 */
export function watchTlsHandshakes(server: Server, drop: (reason: DropReason) => void): () => void {
  const rawSockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    rawSockets.add(socket);
    socket.once('close', () => rawSockets.delete(socket));
  });
  server.on('tlsClientError', (error, socket) => {
    const reason = tlsFailureReason(error, socket);
    if (reason !== undefined) drop(reason);
  });
  return () => {
    for (const socket of rawSockets) {
      const timer = afterGrace(() => socket.destroy());
      socket.once('close', () => clearTimeout(timer));
    }
  };
}
