import http from 'node:http';
import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { isLesAddress } from '../machines/les/messages.js';
import { type HostPort, parseHostPort } from './address.js';
import { PUSH_PATH } from './http-push.js';
import type { DropReason } from './types.js';

/** What the routes need from the transport. */
export interface LesRouteHooks {
  /**
   * Asks the node for its state (with `join`, `from` also asks to become a member; with
   * `diag`, for every state it holds). Resolves with the body to send, or undefined when
   * the node did not answer in time.
   */
  ask(from: string | undefined, join: boolean, diag: boolean): Promise<string | undefined>;
  /** Takes over a WebSocket upgrade for the push path; false to refuse it. */
  upgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  drop(reason: DropReason, from?: string): void;
}

const TEXT = 'text/plain; charset=utf-8';
const JSON_TYPE = 'application/json';

function reply(res: http.ServerResponse, status: number, body: string, type = TEXT): void {
  if (res.writableEnded) return;
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** The path without query, and without one trailing slash (the reference accepts both). */
function routePath(url: string | undefined): string {
  const path = (url ?? '/').split('?', 1)[0] ?? '/';
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

function refuseUpgrade(socket: Duplex, status: number): void {
  if (socket.writable) {
    socket.end(`HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nConnection: close\r\n\r\n`);
  }
  setTimeout(() => socket.destroy(), 200).unref();
}

/** The reference's routes: `/ping`, `/state`, `/state/<addr>`, `/diag`, and the push upgrade. */
export function handleLesRequest(
  hooks: LesRouteHooks,
  req: http.IncomingMessage,
  res: http.ServerResponse,
): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    reply(res, 405, 'method not allowed\n');
    return;
  }
  const path = routePath(req.url);
  if (path === '/ping') {
    reply(res, 200, 'OK');
    return;
  }
  let from: string | undefined;
  let join = false;
  let diag = false;
  if (path === '/diag') {
    diag = true;
  } else if (path.startsWith('/state/')) {
    let address: string;
    try {
      address = decodeURIComponent(path.slice('/state/'.length));
    } catch {
      address = '';
    }
    if (!isLesAddress(address)) {
      hooks.drop('invalid');
      reply(res, 400, 'expected /state/HOST:PORT\n');
      return;
    }
    from = address;
    join = true;
  } else if (path !== '/state') {
    reply(res, 404, 'not found\n');
    return;
  }
  hooks.ask(from, join, diag).then(
    (body) => {
      if (body === undefined) reply(res, 503, 'no answer\n');
      else reply(res, 200, body, JSON_TYPE);
    },
    () => reply(res, 503, 'no answer\n'),
  );
}

export interface LesServers {
  /** Where each server listens. */
  addresses: HostPort[];
  close(): void;
}

// Fallback addresses (a second loopback family) may be missing on this host.
const MISSING_ADDRESS = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EINVAL']);

/**
 * One server per listen address, all serving the same node. Every address must be usable,
 * except that later ones whose address family this host lacks are skipped.
 */
export async function startLesServers(
  listen: readonly string[],
  hooks: LesRouteHooks,
): Promise<LesServers> {
  const servers: http.Server[] = [];
  const sockets = new Set<net.Socket>();
  const addresses: HostPort[] = [];
  const close = (): void => {
    for (const server of servers) {
      server.close(() => {});
      server.closeAllConnections();
    }
    for (const socket of sockets) socket.destroy();
  };
  for (const [i, text] of listen.entries()) {
    const at = parseHostPort(text);
    const server = http.createServer({ requestTimeout: 10_000, headersTimeout: 10_000 });
    server.keepAliveTimeout = 30_000;
    server.maxHeadersCount = 64;
    server.on('request', (req, res) => handleLesRequest(hooks, req, res));
    server.on('upgrade', (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
      if (routePath(req.url) === PUSH_PATH && hooks.upgrade(req, socket, head)) return;
      refuseUpgrade(socket, 404);
    });
    server.on('connection', (socket: net.Socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
    });
    server.on('clientError', (error: Error & { code?: string }, socket: Duplex) => {
      if (error.code !== 'ECONNRESET') hooks.drop('malformed');
      if (socket.writable && error.code !== 'ECONNRESET') refuseUpgrade(socket, 400);
      else socket.destroy();
    });
    try {
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen({ host: at.host, port: at.port }, () => {
          server.off('error', reject);
          resolve();
        });
      });
    } catch (err) {
      if (i > 0 && MISSING_ADDRESS.has((err as NodeJS.ErrnoException).code ?? '')) continue;
      close();
      throw err;
    }
    // Once listening, errors are transient accept failures: keep serving.
    server.on('error', () => {});
    servers.push(server);
    addresses.push(at);
  }
  return { addresses, close };
}
