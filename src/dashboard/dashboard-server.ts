import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HostPort, parseHostPort } from '../../transports/address.js';
import { dashboardAsset } from './dashboard-assets.js';
import { dashboardSocket } from './dashboard-socket.js';
import type { DashboardSource } from './dashboard-source.js';

export interface DashboardServer {
  address: HostPort;
  url: string;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Serves the dashboard page and its WebSocket; 127.0.0.1 and a free port by default. */
export async function startDashboardServer(
  source: DashboardSource,
  options: { host?: string; port?: number; token?: string } = {},
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  parseHostPort(`${host.includes(':') ? `[${host}]` : host}:1`);
  // The Origin check stops web pages; only a token stops another local program.
  const socket = dashboardSocket(source, { loopback: isLoopback(host), token: options.token });
  const server = http.createServer((request, response) => {
    request.resume();
    const path = (request.url ?? '').split('?', 1)[0] ?? '';
    const asset =
      request.method === 'GET' || request.method === 'HEAD' ? dashboardAsset(path) : undefined;
    if (asset === undefined) {
      response.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' });
      response.end('not found\n');
      return;
    }
    response.writeHead(200, {
      'content-type': asset.type,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
      'content-security-policy':
        "default-src 'self'; connect-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    });
    response.end(request.method === 'HEAD' ? undefined : asset.body);
  });
  server.on('upgrade', (request, sock, head) => {
    if (!socket.handleUpgrade(request, sock, head)) sock.destroy();
  });
  server.on('clientError', (_error, sock) => sock.destroy());
  await new Promise<void>((resolve, reject) => {
    const failed = (error: Error) => {
      socket.close();
      reject(
        new Error(`dashboard cannot listen on ${host}:${options.port ?? 0}`, { cause: error }),
      );
    };
    server.once('error', failed);
    server.listen({ host, port: options.port ?? 0 }, () => {
      server.off('error', failed);
      resolve();
    });
  });
  const bound = server.address() as AddressInfo;
  const shown = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  return {
    address: { host: bound.address, port: bound.port },
    url: `http://${shown}:${bound.port}/`,
    close: () =>
      new Promise<void>((done) => {
        socket.close();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
