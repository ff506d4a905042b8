import type { AddressInfo } from 'node:net';
import { type HostPort, parseHostPort } from '../../transports/address.js';
import { boundedHttpServer } from '../http/http-bounds.js';
import { countRefusal, type HttpRefusal, type HttpRefusals } from '../http/http-refusal.js';
import { dashboardAsset } from './dashboard-assets.js';
import { dashboardSocket } from './dashboard-socket.js';
import type { DashboardSource } from './dashboard-source.js';

export interface DashboardServer {
  address: HostPort;
  url: string;
  /** Connections, upgrades and commands turned away so far, by why. */
  refused(): HttpRefusals;
  /** The most that was ever buffered for one dashboard client, in bytes. */
  peakBufferedBytes(): number;
  close(): Promise<void>;
}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

/** Serves the dashboard page and its WebSocket; 127.0.0.1 and a free port by default. */
export async function startDashboardServer(
  source: DashboardSource,
  options: {
    host?: string;
    port?: number;
    token?: string;
    /** Told of each refusal as it happens (the demo logs the ones a person should see). */
    onRefused?: (why: HttpRefusal) => void;
  } = {},
): Promise<DashboardServer> {
  const host = options.host ?? '127.0.0.1';
  parseHostPort(`${host.includes(':') ? `[${host}]` : host}:1`);
  // The Origin check stops web pages; only a token stops another local program.
  const counts: HttpRefusals = {};
  const refused = (why: HttpRefusal) => {
    countRefusal(counts, why);
    options.onRefused?.(why);
  };
  const socket = dashboardSocket(source, {
    loopback: isLoopback(host),
    token: options.token,
    refused,
  });
  const server = boundedHttpServer((request, response) => {
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
  }, refused);
  server.on('upgrade', (request, sock, head) => {
    if (!socket.handleUpgrade(request, sock, head)) sock.destroy();
  });
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
    refused: () => ({ ...counts }),
    peakBufferedBytes: () => socket.peakBufferedBytes(),
    close: () =>
      new Promise<void>((done) => {
        socket.close();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
