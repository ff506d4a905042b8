import type http from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocket, WebSocketServer } from 'ws';
import { carriesToken } from './access-token.js';
import {
  ControlError,
  type ControlType,
  MAX_CONTROL_BYTES,
  parseControl,
} from './control-messages.js';
import type { DashboardSource, FrameCursor } from './dashboard-source.js';

export const DASHBOARD_SOCKET_PATH = '/ws';

/** How often the page gets a frame; fast enough to watch, cheap at 25 nodes. */
const FRAME_MS = 100;
/** A page that cannot keep up skips frames rather than queueing them. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
const MAX_PENDING_COMMANDS = 32;
const LOOPBACK_NAMES = new Set(['127.0.0.1', 'localhost', '[::1]', '::1']);

export interface DashboardSocket {
  /** Answers an HTTP upgrade; false when the request is not for the dashboard socket. */
  handleUpgrade(request: http.IncomingMessage, socket: Duplex, head: Buffer): boolean;
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
    /** Told of every upgrade refused, by why. */
    refused?: (reason: 'cross-origin' | 'unauthorized') => void;
  },
): DashboardSocket {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * MAX_CONTROL_BYTES });
  const clients = new Map<WebSocket, FrameCursor>();
  const allowed = new Set<ControlType>(source.hello().controls);

  const send = (ws: WebSocket, value: unknown): void => {
    if (ws.readyState === WebSocket.OPEN) ws.send(JSON.stringify(value));
  };

  const sendFrames = (): void => {
    for (const [ws, cursor] of clients) {
      if (ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
      const frame = source.frame(cursor);
      const lastMessage = frame.messages.at(-1);
      const lastEntry = frame.timeline.at(-1);
      if (lastMessage !== undefined) cursor.messages = lastMessage.seq;
      if (lastEntry !== undefined) cursor.timeline = lastEntry.seq;
      send(ws, { type: 'frame', at: Date.now(), ...frame });
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
    clients.delete(ws);
    if (clients.size > 0) return;
    clearInterval(timer);
    timer = undefined;
  };

  wss.on('connection', (ws) => {
    clients.set(ws, { messages: 0, timeline: 0 });
    watched();
    send(ws, { type: 'hello', ...source.hello() });
    // One command at a time per page, in the order sent.
    let queue = Promise.resolve();
    let pending = 0;
    ws.on('message', (data, isBinary) => {
      // A page sends a command per click; a flood is refused rather than queued without end.
      if (pending >= MAX_PENDING_COMMANDS) {
        send(ws, { type: 'error', ref: null, error: 'too many commands in flight' });
        return;
      }
      pending++;
      queue = queue
        .then(async () => {
          if (isBinary)
            return send(ws, {
              type: 'error',
              ref: null,
              error: 'binary messages are not accepted',
            });
          const text = Buffer.isBuffer(data)
            ? data.toString('utf8')
            : Buffer.concat(data as Buffer[]).toString('utf8');
          let ref: number | null = null;
          try {
            const request = parseControl(text, allowed, source.nodeIds());
            ref = request.ref;
            const done = await source.control(request.command);
            send(ws, { type: 'ok', ref, command: request.command.type, text: done });
          } catch (err) {
            const error = err instanceof Error ? err.message : String(err);
            send(ws, {
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
    close() {
      clearInterval(timer);
      timer = undefined;
      for (const ws of clients.keys()) ws.terminate();
      clients.clear();
      wss.close();
    },
  };
}
