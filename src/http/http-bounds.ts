import http from 'node:http';
import type { Socket } from 'node:net';
import type { HttpRefusal } from './http-refusal.js';

/**
 * What one HTTP server (the diag server, the demo's dashboard) lets its clients hold. A
 * request is a few hundred bytes from a tool, a scraper or the dashboard page: seconds are
 * ample, and a client that trickles its headers holds a socket only that long.
 */
export const HTTP_BOUNDS = {
  headersTimeoutMs: 5_000,
  requestTimeoutMs: 10_000,
  keepAliveTimeoutMs: 5_000,
  /** How often Node looks for requests past their timeouts; the timeouts are this coarse. */
  checkIntervalMs: 1_000,
  maxConnections: 256,
  /** Scrapers, curl and a browser tab need a handful; one address cannot take them all. */
  maxConnectionsPerAddress: 32,
} as const;

export type HttpBounds = { [K in keyof typeof HTTP_BOUNDS]: number };

/**
 * An HTTP server with timeouts on headers, requests and idle keep-alive, and a cap on open
 * connections (upgraded WebSockets included) in all and per remote address. A connection
 * past a cap is closed at once; each refusal is told to `refused`.
 */
export function boundedHttpServer(
  handler: http.RequestListener,
  refused: (why: HttpRefusal) => void,
  bounds: HttpBounds = HTTP_BOUNDS,
): http.Server {
  const server = http.createServer(
    {
      headersTimeout: bounds.headersTimeoutMs,
      requestTimeout: bounds.requestTimeoutMs,
      keepAliveTimeout: bounds.keepAliveTimeoutMs,
      connectionsCheckingInterval: bounds.checkIntervalMs,
    },
    handler,
  );
  let open = 0;
  const perAddress = new Map<string, number>();
  server.on('connection', (socket: Socket) => {
    const from = socket.remoteAddress ?? '';
    const fromHere = perAddress.get(from) ?? 0;
    if (open >= bounds.maxConnections || fromHere >= bounds.maxConnectionsPerAddress) {
      refused('connection-limit');
      socket.destroy();
      return;
    }
    open++;
    perAddress.set(from, fromHere + 1);
    socket.once('close', () => {
      open--;
      const left = (perAddress.get(from) ?? 1) - 1;
      if (left === 0) perAddress.delete(from);
      else perAddress.set(from, left);
    });
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
    const timedOut = error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
    if (timedOut) refused('request-timeout');
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    socket.end(
      `HTTP/1.1 ${timedOut ? '408 Request Timeout' : '400 Bad Request'}\r\nConnection: close\r\n\r\n`,
    );
    // end() waits for the client to read; one that never does is not waited for.
    setTimeout(() => socket.destroy(), bounds.checkIntervalMs).unref();
  });
  return server;
}
