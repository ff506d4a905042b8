import { fromCallback } from 'xstate';
import type { LesMessage } from '../machines/les/messages.js';
import { parseHostPort } from './address.js';
import { HttpClient } from './http-client.js';
import { pythonJson } from './http-json.js';
import { PushPublisher, PushSubscriptions } from './http-push.js';
import { type LesServers, startLesServers } from './http-server.js';
import type {
  DropReason,
  TransportCommand,
  TransportEvent,
  TransportInput,
  TransportLogic,
} from './types.js';

/** Options of `httpTransport`. */
export interface HttpTransportOptions {
  /**
   * `HOST:PORT` to serve on, or several (the same node on each, e.g. `127.0.0.1:4000` and
   * `[::1]:4000` so that `localhost` works whichever family it resolves to).
   */
  listen: string | readonly string[];
  /**
   * Publish state changes on `/push` and listen to peers' (default true). Peers that refuse
   * the upgrade (nodes of the reference implementation) are simply polled.
   */
  push?: boolean;
  /** How long a ping may take (default 1000 ms, as in the reference). */
  pingTimeoutMs?: number;
  /** How long a state request may take (default 3000 ms, as in the reference). */
  stateTimeoutMs?: number;
  /** How long an inbound request waits for this node's answer (default 5000 ms). */
  answerTimeoutMs?: number;
  /** The largest response body or push message accepted (default 64 KiB). */
  maxBodyBytes?: number;
}

/** Requests that are not a member asking to join (`/state`, `/diag`) come from nobody in particular. */
export const ANONYMOUS_PEER = '-';

const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

interface Resolved {
  listen: string[];
  push: boolean;
  pingTimeoutMs: number;
  stateTimeoutMs: number;
  answerTimeoutMs: number;
  maxBodyBytes: number;
}

function resolve(options: HttpTransportOptions): Resolved {
  const listen = typeof options.listen === 'string' ? [options.listen] : [...options.listen];
  if (listen.length === 0) throw new TypeError('listen must name at least one HOST:PORT');
  for (const at of listen) parseHostPort(at);
  const positive = (name: string, v: number | undefined, fallback: number): number => {
    const value = v ?? fallback;
    if (!Number.isFinite(value) || value <= 0) {
      throw new RangeError(`${name} must be positive, got ${value}`);
    }
    return value;
  };
  return {
    listen,
    push: options.push !== false,
    pingTimeoutMs: positive('pingTimeoutMs', options.pingTimeoutMs, 1000),
    stateTimeoutMs: positive('stateTimeoutMs', options.stateTimeoutMs, 3000),
    answerTimeoutMs: positive('answerTimeoutMs', options.answerTimeoutMs, 5000),
    maxBodyBytes: positive('maxBodyBytes', options.maxBodyBytes, DEFAULT_MAX_BODY_BYTES),
  };
}

interface Waiting {
  diag: boolean;
  answer(body: string | undefined): void;
}

/**
 * Leader Election by Seniority over HTTP, as the reference implementation speaks it: a
 * state request to peer X is `GET http://X/state/<own address>`, and `GET /state/<addr>`,
 * `/state`, `/diag` and `/ping` are served. Polls run concurrently, each with its own
 * deadline; a refused connection fails its request at once. With `push`, state changes
 * also travel over WebSocket to every node that subscribed, and a subscription that closes
 * tells the subscriber at once that the peer is gone.
 */
export function httpTransport(options: HttpTransportOptions): TransportLogic {
  const config = resolve(options);
  return fromCallback<TransportCommand, TransportInput>(({ input, receive, sendBack }) => {
    const back = (event: TransportEvent): void => sendBack(event);
    const deliver = (from: string, msg: unknown): void => {
      const decoded = input.decode(msg);
      if (decoded === undefined) {
        drop('invalid', from);
        return;
      }
      back({ type: 'receive', from, msg: decoded });
    };
    const drop = (reason: DropReason, from?: string): void =>
      back({ type: 'transport.dropped', reason, ...(from === undefined ? {} : { from }) });
    const unreachable = (from: string, rid?: number): void =>
      back({
        type: 'receive',
        from,
        msg: rid === undefined ? { type: 'unreachable' } : { type: 'unreachable', rid },
      });

    const client = new HttpClient({ maxBodyBytes: config.maxBodyBytes });
    const publisher = config.push ? new PushPublisher(config.maxBodyBytes) : undefined;
    const subscriptions = config.push
      ? new PushSubscriptions(
          {
            state: (from, text) => {
              let state: unknown;
              try {
                state = JSON.parse(text);
              } catch {
                drop('malformed', from);
                return;
              }
              deliver(from, { type: 'push', state });
            },
            lost: (from) => unreachable(from),
            drop,
          },
          config.maxBodyBytes,
        )
      : undefined;
    const waiting = new Map<number, Waiting>();
    let nextRid = 1;
    let servers: LesServers | undefined;
    let stopped = false;

    const poll = async (to: string, rid: number): Promise<void> => {
      const result = await client.get(to, `/state/${input.id}`, config.stateTimeoutMs);
      if (stopped) return;
      if (!result.ok) {
        if (result.failure === 'oversize' || result.failure === 'malformed') {
          drop(result.failure, to);
        }
        unreachable(to, rid);
        return;
      }
      let state: unknown;
      try {
        state = JSON.parse(result.body);
      } catch {
        drop('malformed', to);
        unreachable(to, rid);
        return;
      }
      const msg = input.decode({ type: 'state', rid, state });
      if (msg === undefined) {
        drop('invalid', to);
        unreachable(to, rid);
        return;
      }
      back({ type: 'receive', from: to, msg });
      subscriptions?.ensure(to);
    };

    const ping = async (to: string, rid: number): Promise<void> => {
      const result = await client.get(to, '/ping', config.pingTimeoutMs);
      if (stopped) return;
      if (result.ok) back({ type: 'receive', from: to, msg: { type: 'pong', rid } });
      else unreachable(to, rid);
    };

    const answer = (msg: Extract<LesMessage, { type: 'state' }>): void => {
      const w = waiting.get(msg.rid);
      if (w === undefined) return;
      waiting.delete(msg.rid);
      w.answer(
        w.diag
          ? `${pythonJson({ state: msg.state, member_states: msg.memberStates ?? {} }, 2)}\n`
          : pythonJson(msg.state),
      );
    };

    receive((command) => {
      if (stopped || command.type !== 'send') return;
      const msg = command.msg as LesMessage;
      switch (msg.type) {
        case 'state-request':
          void poll(command.to, msg.rid);
          return;
        case 'ping':
          void ping(command.to, msg.rid);
          return;
        case 'state':
          answer(msg);
          return;
        case 'push':
          publisher?.publish(JSON.stringify(msg.state));
          return;
        default:
          // Pongs are the server's own answer to GET /ping; nothing else goes out.
          return;
      }
    });

    startLesServers(config.listen, {
      ask: (from, join, diag) =>
        new Promise((done) => {
          if (stopped) return done(undefined);
          const rid = nextRid++;
          const timer = setTimeout(() => {
            waiting.delete(rid);
            done(undefined);
          }, config.answerTimeoutMs);
          waiting.set(rid, {
            diag,
            answer: (body) => {
              clearTimeout(timer);
              done(body);
            },
          });
          back({
            type: 'receive',
            from: from ?? ANONYMOUS_PEER,
            msg: { type: 'state-request', rid, join, ...(diag ? { diag: true } : {}) },
          });
        }),
      upgrade: (req, socket, head) => publisher?.accept(req, socket, head) ?? false,
      drop,
    }).then(
      (started) => {
        if (stopped) {
          started.close();
          return;
        }
        servers = started;
        back({ type: 'transport.ready' });
      },
      (error: Error) => {
        if (stopped) return;
        back({
          type: 'transport.error',
          error: new Error(
            `http transport: cannot listen on ${config.listen.join(', ')}: ${error.message}`,
            {
              cause: error,
            },
          ),
        });
      },
    );

    return () => {
      stopped = true;
      servers?.close();
      client.close();
      publisher?.close();
      subscriptions?.close();
      for (const w of waiting.values()) w.answer(undefined);
      waiting.clear();
    };
  });
}
