import net from 'node:net';

/** A length-prefixed frame as the TCP transport expects, from JSON or raw payload bytes. */
export function tcpFrame(payload: unknown): Buffer {
  const body = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
  const prefix = Buffer.alloc(4);
  prefix.writeUInt32BE(body.length, 0);
  return Buffer.concat([prefix, body]);
}

/** A bare socket to misbehave with; `closed` tells whether the server hung up on it. */
export interface RawTcpClient {
  socket: net.Socket;
  closed: () => boolean;
}

/** `localAddress` (another loopback address, say 127.0.0.2) poses as a different host. */
export function rawTcpClient(port: number, localAddress?: string): Promise<RawTcpClient> {
  return new Promise((resolve, reject) => {
    let closed = false;
    const where = localAddress === undefined ? {} : { localAddress };
    const socket = net.connect({ host: '127.0.0.1', port, ...where }, () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      // Keep reading (and discarding) so the server's FIN is seen and 'close' can follow.
      socket.resume();
      resolve({ socket, closed: () => closed });
    });
    socket.once('error', reject);
    socket.once('close', () => {
      closed = true;
    });
  });
}
