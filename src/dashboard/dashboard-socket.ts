import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import type { HttpRefusal } from '../http/http-refusal.js';
import { carriesToken } from './access-token.js';
import { CommandAllowance } from './command-allowance.js';
import {
  ControlError,
  type ControlType,
  MAX_CONTROL_BYTES,
  parseControl,
} from './control-messages.js';
import type { DashboardSource, FrameCursor } from './dashboard-source.js';
import { SendGuard } from './send-guard.js';

export const DASHBOARD_SOCKET_PATH = '/ws';

/** How often the page gets a frame; fast enough to watch, cheap at 25 nodes. */
const FRAME_MS = 100;
const MAX_PENDING_COMMANDS = 16;
/** Commands a socket may send in one go, then per second: far more than anyone clicks. */
const COMMAND_BURST = 40;
const COMMANDS_PER_SECOND = 20;
const RATE_REPLY = JSON.stringify({
  type: 'error',
  ref: null,
  error: `too many commands: at most ${COMMANDS_PER_SECOND} a second`,
});
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface DashboardSocket {
  /** Answers an HTTP upgrade; false when the request is not for the dashboard socket. */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
  /** The most that was ever buffered for one client, in bytes (it never passes the cap). */
  peakBufferedBytes(): number;
  close(): void;
}

/**
 * Only the dashboard's own page may connect: the Origin must be the very host the request
 * was sent to, and on a loopback server that host must be a loopback name (a page on another
 * site, or one reached through a rebound DNS name, is refused).
 */
export function sameOrigin(request: http.IncomingMessage, loopback: boolean): boolean {
  const origin = request.headers.origin;
  const host = request.headers.host;
  if (origin === undefined || host === undefined) return false;
  return originMatches(origin, host, loopback);
}

/** Whether `origin` names the very `host` (see sameOrigin). */
export function originMatches(origin: string, host: string, loopback: boolean): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  if (url.protocol !== 'http:' || url.host !== host.toLowerCase()) return false;
  return !loopback || LOOPBACK_NAMES.has(url.hostname);
}

interface Client {
  cursor: FrameCursor;
  guard: SendGuard;
  allowance: CommandAllowance;
  /** Set while reading is stopped for sending past the allowance. */
  rateTimer: NodeJS.Timeout | undefined;
}

function refuse(socket: Duplex, status: string): void {
  if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
  else socket.destroy();
}

/**
 * The dashboard's WebSocket: a hello, then a frame every 100 ms; control messages in,
 * each validated and answered with `ok` or `error` (by the `ref` it carried).
 */
export function dashboardSocket(
  source: DashboardSource,
  options: {
    loopback: boolean;
    /** When set, a client must present it (`?token=` or a bearer header) to connect. */
    token?: string | undefined;
    /** Told of every refusal: an upgrade, a command past the allowance, a client closed. */
    refused?: (reason: HttpRefusal) => void;
  },
): DashboardSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * MAX_CONTROL_BYTES });
  const clients = new Map<WebSocket, Client>();
  const allowed = new Set<ControlType>(source.hello().controls);
  let peakOfClosed = 0;

  const sendFrames = (): void => {
    const now = Date.now();
    for (const [ws, client] of clients) {
      if (client.guard.check(now)) {
        options.refused?.('slow-reader');
        ws.terminate();
        continue;
      }
      // A page that cannot keep up skips frames rather than queueing them.
      if (client.guard.over()) continue;
      const frame = source.frame(client.cursor);
      if (!client.guard.send(JSON.stringify({ type: 'frame', at: now, ...frame }), now)) continue;
      const lastMessage = frame.messages.at(-1);
      const lastEntry = frame.timeline.at(-1);
      if (lastMessage !== undefined) client.cursor.messages = lastMessage.seq;
      if (lastEntry !== undefined) client.cursor.timeline = lastEntry.seq;
    }
  };
  // The clock runs only while a page watches: every `node --http` serves a dashboard, and
  // an idle member should not wake ten times a second for nobody.
  let timer: NodeJS.Timeout | undefined;
  const watched = (): void => {
    if (timer !== undefined) return;
    timer = setInterval(sendFrames, FRAME_MS);
    timer.unref();
  };
  const unwatched = (ws: WebSocket): void => {
    const client = clients.get(ws);
    if (client !== undefined) {
      clearTimeout(client.rateTimer);
      peakOfClosed = Math.max(peakOfClosed, client.guard.peakBufferedBytes());
    }
    clients.delete(ws);
    if (clients.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  };

  /** Refuses a command past the allowance, and reads nothing more until the next is due. */
  const overAllowance = (client: Client): void => {
    options.refused?.('command-rate');
    client.guard.send(RATE_REPLY);
    if (client.rateTimer !== undefined) return;
    client.guard.hold('rate');
    client.rateTimer = setTimeout(() => {
      client.rateTimer = undefined;
      client.guard.release('rate');
    }, client.allowance.waitMs());
    client.rateTimer.unref();
  };

  wss.on('connection', (ws) => {
    const client: Client = {
      cursor: { messages: 0, timeline: 0 },
      guard: new SendGuard(ws),
      allowance: new CommandAllowance(COMMANDS_PER_SECOND, COMMAND_BURST, Date.now()),
      rateTimer: undefined,
    };
    const send = (value: unknown): void => {
      client.guard.send(JSON.stringify(value));
    };
    clients.set(ws, client);
    watched();
    send({ type: 'hello', ...source.hello() });
    // One command at a time per page, in the order sent.
    let queue = Promise.resolve();
    let pending = 0;
    ws.on('message', (data, isBinary) => {
      if (!client.allowance.take(Date.now())) {
        overAllowance(client);
        return;
      }
      // A slow command (a restart) with more behind it: refused rather than queued without end.
      if (pending >= MAX_PENDING_COMMANDS) {
        send({ type: 'error', ref: null, error: 'too many commands in flight' });
        return;
      }
      pending++;
      queue = queue
        .then(async () => {
          if (isBinary)
            return send({ type: 'error', ref: null, error: 'binary messages are not accepted' });
          const text = Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Buffer.concat(data as Buffer[]).toString('utf8');
          let ref: number | null = null;
          try {
            const request = parseControl(text, allowed, source.nodeIds());
            ref = request.ref;
            const done = await source.control(request.command);
            send({ type: 'ok', ref, command: request.command.type, text: done });
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            send({
              type: 'error',
              ref: err instanceof ControlError && err.ref !== null ? err.ref : ref,
              error,
            });
          }
        })
        .finally(() => {
          pending--;
        });
    });
    ws.on('error', () => {});
    ws.on('close', () => unwatched(ws));
  });

  return {
    handleUpgrade(request, socket, head) {
      const path = (request.url ?? '').split('?', 1)[0];
      if (path !== DASHBOARD_SOCKET_PATH) return false;
      if (!sameOrigin(request, options.loopback)) {
        options.refused?.('cross-origin');
        refuse(socket, '403 Forbidden');
        return true;
      }
      if (options.token !== undefined && !carriesToken(request, options.token, { query: true })) {
        options.refused?.('unauthorized');
        refuse(socket, '401 Unauthorized');
        return true;
      }
      wss.handleUpgrade(request, socket, head, (ws) => wss.emit('connection', ws, request));
      return true;
    },
    peakBufferedBytes() {
      let peak = peakOfClosed;
      for (const client of clients.values())
        peak = Math.max(peak, client.guard.peakBufferedBytes());
      return peak;
    },
    close() {
      clearInterval(timer);
      timer = undefined;
      for (const ws of clients.keys()) ws.terminate();
      clients.clear();
      wss.close();
    },
  };
}
