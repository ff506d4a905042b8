import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import { type HostPort, parseHostPort } from '../../transports/address.js';
import { carriesToken } from '../dashboard/access-token.js';
import { dashboardAsset } from '../dashboard/dashboard-assets.js';
import { isLoopback } from '../dashboard/dashboard-server.js';
import {
  type DashboardSocket,
  dashboardSocket,
  originMatches,
} from '../dashboard/dashboard-socket.js';
import type { ShardCell } from '../dashboard/dashboard-source.js';
import { NodeSource } from '../dashboard/node-source.js';
import { boundedHttpServer } from '../http/http-bounds.js';
import { countRefusal, type HttpRefusal, type HttpRefusals } from '../http/http-refusal.js';
import { electionMetrics } from '../metrics/election-metrics.js';
import { httpRefusalFamily } from '../metrics/http-refusal-family.js';
import { PROMETHEUS_CONTENT_TYPE, prometheusText } from '../metrics/prometheus-text.js';
import type { Election, ElectionStatus } from '../runtime/election.js';

export interface DiagServerOptions {
  /** `HOST:PORT` to serve on; port 0 picks a free one (read it from `address`). */
  listen: string;
  /** Also serve the live dashboard of this node at `/` (its WebSocket at `/ws`). */
  dashboard?: boolean;
  /**
   * When set, `POST /resign` needs `Authorization: Bearer TOKEN` and the dashboard's
   * WebSocket needs the token too (open the page as `/#token=TOKEN`).
   */
  token?: string;
}

export type { HttpRefusal } from '../http/http-refusal.js';

export interface DiagServer {
  /** Where the server actually listens. */
  address: HostPort;
  /** From now on `/healthz` answers 503: the node is shutting down but still answers. */
  markStopping(): void;
  /** Stops listening and drops open connections, keep-alive ones included. */
  close(): Promise<void>;
}

/**
 * The `/diag` document: the fields the public contract fixes, in its order, then the rest
 * of `status()`. `term` is null rather than absent, so every contract key is always there;
 * `leaderAddress` and `leaderPid` appear while a leader is known to a protocol that has them.
 */
export function diagDocument(
  status: ElectionStatus,
  httpRefused?: HttpRefusals,
): Record<string, unknown> {
  return {
    id: status.id,
    protocol: status.protocol,
    role: status.role,
    leader: status.leader,
    term: status.term ?? null,
    members: status.members,
    startedAt: status.startedAt,
    ...(status.leaderAddress === undefined ? {} : { leaderAddress: status.leaderAddress }),
    ...(status.leaderPid === undefined ? {} : { leaderPid: status.leaderPid }),
    ...(status.fencingToken === undefined ? {} : { fencingToken: status.fencingToken }),
    isLeader: status.isLeader,
    leaseRemainingMs: status.leaseRemainingMs,
    messages: status.messages,
    elections: status.elections,
    dropped: status.dropped,
    errors: status.errors,
    ...(status.group === undefined ? {} : { group: status.group }),
    ...(httpRefused === undefined ? {} : { httpRefused }),
  };
}

type DiagElection = Pick<Election, 'status' | 'resign'> &
  Partial<Pick<Election, 'actor' | 'on' | 'metrics'>> & {
    /** Fields a group of elections adds to `/diag` (every election, the shared link). */
    diagExtras?(): Record<string, unknown>;
    /** A group's elections and their leaders, for the dashboard's grid. */
    shards?(): ShardCell[];
  };

interface Reply {
  status: number;
  body: string;
  type?: string;
  headers?: Record<string, string>;
}

const json = (status: number, value: unknown): Reply => ({
  status,
  body: `${JSON.stringify(value)}\n`,
  type: 'application/json',
});
const text = (status: number, body: string): Reply => ({ status, body: `${body}\n` });

interface Served {
  stopping: boolean;
  refused: HttpRefusals;
}

interface Route {
  methods: readonly string[];
  answer(election: DiagElection, served: Served): Reply;
}

const ROUTES: Record<string, Route> = {
  '/diag': {
    methods: ['GET', 'HEAD'],
    answer: (election, served) =>
      json(200, {
        ...diagDocument(election.status(), served.refused),
        ...election.diagExtras?.(),
      }),
  },
  // Prometheus scrapes this; an election without its own metrics is read from its status.
  '/metrics': {
    methods: ['GET', 'HEAD'],
    answer: (election, served) => {
      const metrics =
        election.metrics ?? electionMetrics(election.status().protocol, () => election.status());
      const refused = httpRefusalFamily(
        { name: metrics.name, id: election.status().id },
        served.refused,
      );
      return {
        status: 200,
        body: prometheusText([...metrics.families(), refused]),
        type: PROMETHEUS_CONTENT_TYPE,
      };
    },
  },
  '/healthz': {
    methods: ['GET', 'HEAD'],
    answer: (_election, { stopping }) => (stopping ? text(503, 'stopping') : text(200, 'ok')),
  },
  // Lets an operator (or the benchmark) hand leadership over without stopping the node.
  '/resign': {
    methods: ['POST'],
    answer: (election) => {
      const status = election.status();
      if (status.role !== 'leader') {
        return json(409, { error: 'not the leader', leader: status.leader });
      }
      // resign() only sends an event; its promise cannot fail in a way the caller could act on.
      election.resign().catch(() => {});
      return json(202, { resigning: status.id, term: status.term ?? null });
    },
  },
};

function requestPath(url: string | undefined): string {
  return (url ?? '').split('?', 1)[0] ?? '';
}

/**
 * Why a state-changing request must be refused, if it must. A web page can post a form to
 * any address without CORS, but its browser names the page in `Origin` (and modern ones say
 * `Sec-Fetch-Site`), so a request from anything but this server's own page is refused.
 * Tools like curl send neither header; the bearer token is what stops other local programs.
 */
function refusal(
  request: http.IncomingMessage,
  loopback: boolean,
  token: string | undefined,
): HttpRefusal | undefined {
  const { origin, host } = request.headers;
  const site = request.headers['sec-fetch-site'];
  if (origin !== undefined && (host === undefined || !originMatches(origin, host, loopback))) {
    return 'cross-origin';
  }
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return 'cross-origin';
  if (token !== undefined && !carriesToken(request, token, { query: false })) {
    return 'unauthorized';
  }
  return undefined;
}

function route(
  request: http.IncomingMessage,
  election: DiagElection,
  served: Served,
  access: { loopback: boolean; token: string | undefined },
): Reply {
  const found = Object.hasOwn(ROUTES, requestPath(request.url))
    ? ROUTES[requestPath(request.url)]
    : undefined;
  if (found === undefined) return text(404, 'not found');
  if (!found.methods.includes(request.method ?? '')) {
    return { ...text(405, 'method not allowed'), headers: { allow: found.methods.join(', ') } };
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    const why = refusal(request, access.loopback, access.token);
    if (why !== undefined) {
      countRefusal(served.refused, why);
      return why === 'cross-origin'
        ? json(403, { error: 'cross-origin request refused' })
        : {
            ...json(401, { error: 'bearer token required' }),
            headers: { 'www-authenticate': 'Bearer' },
          };
    }
  }
  return found.answer(election, served);
}

function reply(response: http.ServerResponse, { status, body, type, headers }: Reply): void {
  response.writeHead(status, {
    'content-type': type ?? 'text/plain; charset=utf-8',
    'cache-control': 'no-store',
    ...headers,
  });
  response.end(body);
}

/** Port 0 is not a peer address, so parseHostPort refuses it; here it means "any free port". */
function listenAddress(listen: string): HostPort {
  if (listen.endsWith(':0')) return { ...parseHostPort(`${listen.slice(0, -1)}1`), port: 0 };
  return parseHostPort(listen);
}

/**
 * Serves `GET /diag`, `GET /metrics`, `GET /healthz` and `POST /resign` for one election over
 * plain HTTP.
 */
export async function startDiagServer(
  election: DiagElection,
  options: DiagServerOptions,
): Promise<DiagServer> {
  const { host, port } = listenAddress(options.listen);
  const served: Served = { stopping: false, refused: {} };
  const access = { loopback: isLoopback(host), token: options.token };
  const refused = (why: HttpRefusal) => countRefusal(served.refused, why);
  const socket: DashboardSocket | undefined = options.dashboard
    ? dashboardSocket(new NodeSource(election), {
        loopback: access.loopback,
        token: options.token,
        refused,
      })
    : undefined;
  const server = boundedHttpServer((request, response) => {
    // Bodies are never read; draining them keeps keep-alive connections usable.
    request.resume();
    const asset =
      socket !== undefined && (request.method === 'GET' || request.method === 'HEAD')
        ? dashboardAsset(requestPath(request.url))
        : undefined;
    if (asset !== undefined) {
      reply(response, {
        status: 200,
        body: request.method === 'HEAD' ? '' : asset.body.toString('utf8'),
        type: asset.type,
      });
      return;
    }
    let answer: Reply;
    try {
      answer = route(request, election, served, access);
    } catch (err) {
      answer = text(500, `internal error: ${(err as Error).message}`);
    }
    reply(response, answer);
  }, refused);
  server.on('upgrade', (request, stream, head) => {
    if (socket === undefined || !socket.handleUpgrade(request, stream, head)) stream.destroy();
  });
  return await new Promise((resolve, reject) => {
    const failed = (error: Error) => {
      socket?.close();
      reject(new Error(`diag server cannot listen on ${options.listen}`, { cause: error }));
    };
    server.once('error', failed);
    server.listen({ host, port }, () => {
      server.off('error', failed);
      // Accept errors after this point (EMFILE and the like) are transient: keep serving.
      server.on('error', () => {});
      const bound = server.address() as AddressInfo;
      resolve({
        address: { host: bound.address, port: bound.port },
        markStopping: () => {
          served.stopping = true;
        },
        close: () =>
          new Promise<void>((done) => {
            served.stopping = true;
            socket?.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
