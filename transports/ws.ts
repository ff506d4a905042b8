import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import type tls from 'node:tls';
import WebSocket, { type RawData, WebSocketServer } from 'ws';
import { formatHostPort, type HostPort } from './address.js';
import { certificateNames } from './certificate-names.js';
import { PendingConnections } from './pending-connections.js';
import { startListening } from './server-listen.js';
import { afterGrace, endGracefully, tuneSocket } from './socket-lifecycle.js';
import type { ResolvedStreamOptions, StreamTransportOptions } from './stream-options.js';
import { createStreamTransport } from './stream-transport.js';
import { tlsClientContext, tlsServerName, tlsServerOptions } from './tls-config.js';
import { watchTlsHandshakes } from './tls-handshakes.js';
import type { DropReason, TransportLogic } from './types.js';
import type { ListenHooks, StreamDriver, Wire, WireHandlers } from './wire.js';
import { watchFrames } from './ws-frame-clock.js';

/** Options of `wsTransport`. */
export type WsTransportOptions = StreamTransportOptions;

/** The only path the WebSocket transport serves and dials. */
export const WS_PATH = '/electorate';

// 1001 "going away": this node is shutting down, not rejecting the peer.
const GOING_AWAY = 1001;
const NORMAL_CLOSURE = 1000;

/**
 * Peers over WebSocket (`wss://` when `tls` is set), one JSON envelope per message, text
 * or binary.
 */
export function wsTransport(options: WsTransportOptions): TransportLogic {
  return createStreamTransport('ws transport', options, createWsDriver);
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

/** Frame-level failures ws reports on a connection; other errors are just disconnects. */
function wsDropReason(error: Error & { code?: string }): DropReason | undefined {
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') return 'oversize';
  if (error.code?.startsWith('WS_ERR_')) return 'malformed';
  return undefined;
}

function requestPath(url: string | undefined): string {
  return (url ?? '').split('?', 1)[0] ?? '';
}

function closeWebSocket(ws: WebSocket, code: number): void {
  if (ws.readyState === WebSocket.CLOSED) return;
  ws.close(code);
  const timer = afterGrace(() => ws.terminate());
  ws.once('close', () => clearTimeout(timer));
}

/** Answers a refused upgrade or request with a bare HTTP status, then closes. */
function refuse(socket: Duplex, status: number): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  const timer = afterGrace(() => socket.destroy());
  socket.once('close', () => clearTimeout(timer));
}

function createWsDriver(options: ResolvedStreamOptions): StreamDriver {
  const { tls: tlsConfig } = options;
  const server = tlsConfig
    ? https.createServer(tlsServerOptions(tlsConfig, options.handshakeTimeoutMs))
    : http.createServer();
  const clientContext = tlsConfig ? tlsClientContext(tlsConfig) : undefined;
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxFrameBytes,
    perMessageDeflate: false,
    clientTracking: false,
  });
  const sockets = new Set<WebSocket>();
  const pending = new PendingConnections(
    options.maxPendingConnections,
    options.maxPendingPerAddress,
  );
  // Accepted but not yet upgraded, each with the clock that bounds how long that may take.
  const upgrading = new Map<Duplex, NodeJS.Timeout>();
  let closeHandshakes = (): void => {};
  let closed = false;

  const settle = (socket: Duplex): void => {
    clearTimeout(upgrading.get(socket));
    upgrading.delete(socket);
  };

  /**
   * `accepted` is the upgraded socket of an inbound connection; a dialed one has no socket
   * until its upgrade response arrives.
   */
  const attach = (
    ws: WebSocket,
    attachHandlers: (wire: Wire) => WireHandlers,
    accepted?: Duplex,
  ): void => {
    sockets.add(ws);
    let dialedSocket: Duplex | undefined;
    const pendingKey =
      accepted === undefined ? undefined : PendingConnections.key(accepted as net.Socket);
    const wire: Wire = {
      write: (payload) => {
        if (ws.readyState === WebSocket.OPEN) ws.send(payload);
      },
      bufferedBytes: () => ws.bufferedAmount,
      end: () => closeWebSocket(ws, NORMAL_CLOSURE),
      destroy: () => ws.terminate(),
      peerNames: () => certificateNames(accepted ?? dialedSocket),
      established: () => pending.settle(pendingKey),
    };
    const handlers = attachHandlers(wire);
    ws.on('message', (data) => handlers.frame(toBytes(data)));
    ws.on('error', (error) => {
      const reason = wsDropReason(error);
      if (reason !== undefined) handlers.drop(reason);
    });
    ws.once('close', () => {
      sockets.delete(ws);
      handlers.close();
    });
    const clockFrames = (socket: Duplex): void =>
      watchFrames(socket, options.frameTimeoutMs, () => {
        if (ws.readyState === WebSocket.CLOSED) return;
        // A closing connection was already dropped for its real fault, or is ours to end.
        if (ws.readyState === WebSocket.OPEN) handlers.drop('timeout');
        ws.terminate();
      });
    // ws puts any bytes that came with the upgrade back on the socket, where they flow only
    // from the next tick, so on either side the clock sees them too.
    if (accepted) {
      clockFrames(accepted);
    } else {
      ws.once('upgrade', (response) => {
        dialedSocket = response.socket;
        tuneSocket(response.socket);
        clockFrames(response.socket);
      });
      ws.once('open', () => handlers.open());
    }
  };

  const watchUpgrades = (hooks: ListenHooks): void => {
    // The raw connection, before any TLS: a handshake or upgrade in progress holds a place too.
    server.on('connection', (socket: net.Socket) => {
      if (closed || pending.admit(socket)) return;
      hooks.drop('refused');
      socket.destroy();
    });
    server.on(tlsConfig ? 'secureConnection' : 'connection', (socket: net.Socket) => {
      if (closed) {
        socket.destroy();
        return;
      }
      if (socket.destroyed) return;
      const timer = setTimeout(() => {
        upgrading.delete(socket);
        hooks.drop('timeout');
        socket.destroy();
      }, options.handshakeTimeoutMs);
      upgrading.set(socket, timer);
      socket.once('close', () => settle(socket));
    });

    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      settle(socket);
      if (closed) {
        socket.destroy();
      } else if (requestPath(req.url) !== WS_PATH) {
        hooks.drop('malformed');
        refuse(socket, 404);
      } else {
        wss.handleUpgrade(req, socket, head, (ws) => {
          tuneSocket(socket as net.Socket);
          attach(ws, hooks.accept, socket);
        });
      }
    });

    wss.on('wsClientError', (_error, socket) => {
      hooks.drop('malformed');
      refuse(socket, 400);
    });

    // Plain HTTP requests are not part of the protocol.
    server.on('request', (_req, res: http.ServerResponse) => {
      settle(res.socket as Duplex);
      hooks.drop('malformed');
      res.writeHead(426, { Connection: 'close', Upgrade: 'websocket' }).end();
    });

    server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
      settle(socket);
      if (error.code === 'ECONNRESET' || !socket.writable) {
        socket.destroy();
        return;
      }
      hooks.drop(error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 'timeout' : 'malformed');
      refuse(socket, 400);
    });
  };

  return {
    listen(hooks: ListenHooks): void {
      if (server instanceof https.Server) closeHandshakes = watchTlsHandshakes(server, hooks.drop);
      watchUpgrades(hooks);
      startListening(server, options.listen, hooks);
    },

    dial(target: HostPort, attachHandlers: (wire: Wire) => WireHandlers): void {
      if (closed) return;
      const scheme = tlsConfig ? 'wss' : 'ws';
      const clientOptions: WebSocket.ClientOptions & tls.ConnectionOptions = {
        maxPayload: options.maxFrameBytes,
        perMessageDeflate: false,
        handshakeTimeout: options.connectTimeoutMs,
      };
      if (tlsConfig && clientContext) {
        clientOptions.secureContext = clientContext;
        // ws treats '' as "no SNI"; undefined would make it send the IP, which RFC 6066 forbids.
        clientOptions.servername = tlsServerName(tlsConfig, target.host) ?? '';
      }
      const ws = new WebSocket(`${scheme}://${formatHostPort(target)}${WS_PATH}`, clientOptions);
      attach(ws, attachHandlers);
    },

    close(): void {
      if (closed) return;
      closed = true;
      server.close(() => {});
      wss.close();
      for (const ws of sockets) closeWebSocket(ws, GOING_AWAY);
      for (const [socket, timer] of upgrading) {
        clearTimeout(timer);
        endGracefully(socket as net.Socket);
      }
      upgrading.clear();
      closeHandshakes();
    },
  };
}
