import { randomBytes } from 'node:crypto';
import WebSocket from 'ws';
import { WS_PATH } from '../../transports/index.js';
import { type RawTcpClient, rawTcpClient } from './raw-tcp-client.js';

/** A bare WebSocket to misbehave with; `closed` tells whether the connection ended. */
export interface RawWsClient {
  ws: WebSocket;
  closed: () => boolean;
  closeCode: () => number | undefined;
}

export function rawWsClient(port: number, path = WS_PATH): Promise<RawWsClient> {
  return new Promise((resolve, reject) => {
    // A generous payload limit, so whatever the server sends back never closes us first.
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}`, { maxPayload: 8 * 1024 * 1024 });
    let code: number | undefined;
    ws.on('close', (c) => {
      code = c;
    });
    ws.once('open', () => {
      ws.off('error', reject);
      ws.on('error', () => {});
      resolve({ ws, closed: () => code !== undefined, closeCode: () => code });
    });
    ws.once('error', reject);
  });
}

/**
 * A plain TCP socket that has completed the WebSocket upgrade by hand, so a test can write
 * frame bytes at whatever pace it likes (the ws client only ever sends whole frames).
 * `early` goes out in the same write as the upgrade request, before any answer to it.
 */
export async function rawWsUpgrade(
  port: number,
  early?: Buffer,
  {
    path = WS_PATH,
    host = '127.0.0.1',
    headers = {},
  }: { path?: string; host?: string; headers?: Record<string, string> } = {},
): Promise<RawTcpClient> {
  const client = await rawTcpClient(port);
  const response = new Promise<string>((resolve) => {
    let text = '';
    const onData = (chunk: Buffer) => {
      text += chunk.toString('latin1');
      if (!text.includes('\r\n\r\n')) return;
      client.socket.off('data', onData);
      resolve(text);
    };
    client.socket.on('data', onData);
  });
  const extra = Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request = Buffer.from(
    `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
      `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\n${extra}\r\n`,
  );
  client.socket.write(early === undefined ? request : Buffer.concat([request, early]));
  const head = await response;
  if (!head.startsWith('HTTP/1.1 101')) {
    client.socket.destroy();
    throw new Error(`upgrade refused: ${head.split('\r\n', 1)[0]}`);
  }
  return client;
}

/** One final, masked text frame, as a client must send it; short payloads only. */
export function maskedTextFrame(text: string): Buffer {
  const body = Buffer.from(text);
  if (body.length >= 126) throw new RangeError('maskedTextFrame only builds short frames');
  const mask = randomBytes(4);
  const masked = body.map((byte, i) => byte ^ mask[i % 4]!);
  return Buffer.concat([Buffer.from([0x81, 0x80 | body.length]), mask, masked]);
}
