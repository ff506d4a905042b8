import net from 'node:net';
import tls from 'node:tls';
import type { HostPort } from './address.js';
import { certificateNames } from './certificate-names.js';
import { FrameDecoder } from './frame-decoder.js';
import { encodeFrame } from './frame-encoder.js';
import { PendingConnections } from './pending-connections.js';
import { startListening } from './server-listen.js';
import { endGracefully, tuneSocket } from './socket-lifecycle.js';
import type { ResolvedStreamOptions, StreamTransportOptions } from './stream-options.js';
import { createStreamTransport } from './stream-transport.js';
import { tlsClientContext, tlsServerName, tlsServerOptions } from './tls-config.js';
import { watchTlsHandshakes } from './tls-handshakes.js';
import type { TransportLogic } from './types.js';
import type { ListenHooks, StreamDriver, Wire, WireHandlers } from './wire.js';

/** Options of `tcpTransport`. */
export type TcpTransportOptions = StreamTransportOptions;

/**
 * Peers over TCP (TLS when `tls` is set), each frame a 4-byte big-endian length followed by
 * that many bytes of JSON.
 */
export function tcpTransport(options: TcpTransportOptions): TransportLogic {
  return createStreamTransport('tcp transport', options, createTcpDriver);
}

function createTcpDriver(options: ResolvedStreamOptions): StreamDriver {
  const { tls: tlsConfig } = options;
  const server = tlsConfig
    ? tls.createServer(tlsServerOptions(tlsConfig, options.handshakeTimeoutMs))
    : net.createServer();
  const clientContext = tlsConfig ? tlsClientContext(tlsConfig) : undefined;
  const sockets = new Set<net.Socket>();
  const pending = new PendingConnections(
    options.maxPendingConnections,
    options.maxPendingPerAddress,
  );
  let closeHandshakes = (): void => {};
  let closed = false;

  const attach = (
    socket: net.Socket,
    attachHandlers: (wire: Wire) => WireHandlers,
    dialed: boolean,
  ): void => {
    sockets.add(socket);
    tuneSocket(socket);
    const pendingKey = dialed ? undefined : PendingConnections.key(socket);
    const wire: Wire = {
      write: (payload) => {
        if (socket.writable) socket.write(encodeFrame(payload));
      },
      bufferedBytes: () => socket.writableLength,
      end: () => endGracefully(socket),
      destroy: () => socket.destroy(),
      peerNames: () => certificateNames(socket),
      established: () => pending.settle(pendingKey),
    };
    const handlers = attachHandlers(wire);
    readFrames(socket, handlers, options);
    socket.on('error', () => {
      // Every error is followed by 'close', which is where the session learns of it.
    });
    socket.once('close', () => {
      sockets.delete(socket);
      handlers.close();
    });
    if (dialed) socket.once(tlsConfig ? 'secureConnect' : 'connect', () => handlers.open());
  };

  return {
    listen(hooks: ListenHooks): void {
      if (server instanceof tls.Server) closeHandshakes = watchTlsHandshakes(server, hooks.drop);
      // The raw connection, before any TLS: a handshake in progress holds a place too.
      server.on('connection', (socket: net.Socket) => {
        if (closed || pending.admit(socket)) return;
        hooks.drop('refused');
        socket.destroy();
      });
      server.on(tlsConfig ? 'secureConnection' : 'connection', (socket: net.Socket) => {
        if (closed) socket.destroy();
        else if (!socket.destroyed) attach(socket, hooks.accept, false);
      });
      startListening(server, options.listen, hooks);
    },

    dial({ host, port }: HostPort, attachHandlers: (wire: Wire) => WireHandlers): void {
      if (closed) return;
      const socket =
        tlsConfig && clientContext
          ? tls.connect({
              host,
              port,
              secureContext: clientContext,
              servername: tlsServerName(tlsConfig, host),
            })
          : net.connect({ host, port });
      attach(socket, attachHandlers, true);
    },

    close(): void {
      if (closed) return;
      closed = true;
      server.close(() => {});
      for (const socket of sockets) endGracefully(socket);
      closeHandshakes();
    },
  };
}

/**
 * Feeds socket bytes through the frame decoder. An oversize prefix or a frame that stalls
 * mid-way is fatal: the stream cannot be resynchronised, so the connection goes.
 */
function readFrames(
  socket: net.Socket,
  handlers: WireHandlers,
  options: ResolvedStreamOptions,
): void {
  const decoder = new FrameDecoder(options.maxFrameBytes);
  let frameTimer: NodeJS.Timeout | undefined;

  const fail = (reason: 'oversize' | 'timeout'): void => {
    clearTimeout(frameTimer);
    if (socket.destroyed) return;
    handlers.drop(reason);
    socket.destroy();
  };

  socket.on('data', (chunk: Buffer) => {
    if (socket.destroyed) return;
    decoder.push(chunk);
    let completed = false;
    for (;;) {
      const step = decoder.next();
      if (step.kind === 'incomplete') break;
      if (step.kind === 'oversize') {
        fail('oversize');
        return;
      }
      completed = true;
      handlers.frame(step.payload);
      // The session may have closed the connection in response to that frame.
      if (socket.destroyed) return;
    }
    // The clock runs from a frame's first byte, so it restarts only when a new frame begins.
    if (!decoder.midFrame) {
      clearTimeout(frameTimer);
      frameTimer = undefined;
    } else if (frameTimer === undefined || completed) {
      clearTimeout(frameTimer);
      frameTimer = setTimeout(() => fail('timeout'), options.frameTimeoutMs);
    }
  });
  socket.once('close', () => clearTimeout(frameTimer));
}
