import { randomBytes } from 'node:crypto';
import { type DropReason, WS_PATH } from '../../transports/index.js';
import type { StreamKind } from './election-cluster.js';
import { rawTcpClient, tcpFrame } from './raw-tcp-client.js';
import { maskedTextFrame, rawWsClient, rawWsUpgrade } from './raw-ws-client.js';

export type Drops = Partial<Record<DropReason, number>>;

/** The node under attack, as an attacker knows it. */
export interface AttackTarget {
  port: number;
  /** A member id the target accepts a hello from, which no running node uses. */
  knownPeer: string;
  /** The target's current term: junk is built to move it if it were ever accepted. */
  term: number;
  /** Registers cleanup for whatever the attack leaves open. */
  track(close: () => void): void;
}

/** One kind of misbehaviour and exactly the drops it must cost the target. */
export interface JunkAttack {
  name: string;
  drops: Drops;
  run(target: AttackTarget): Promise<void>;
}

const ONE_MIB = 1024 * 1024;
const hello = (id: string) => ({ v: 1, hello: id });

/**
 * Envelopes on a known peer's connection that must never reach the protocol. Each carries
 * a term far ahead of the target's, so if one slipped through the target's term would jump.
 */
function junkEnvelopes(peer: string, term: number): unknown[] {
  const ahead = term + 100;
  return [
    { v: 1, from: peer, msg: { type: 'heartbeat', term: String(ahead), round: 1 } },
    { v: 1, from: peer, msg: { type: 'heartbeat', term: ahead, round: -1 } },
    { v: 1, from: peer, msg: { type: 'heartbeat', term: ahead, round: 1, tags: 'eu' } },
    { v: 1, from: peer, msg: { type: 'vote', term: 2 ** 60, transfer: true } },
    { v: 1, from: peer, msg: { type: 'coup', term: ahead } },
    { v: 1, from: 'mallory', msg: { type: 'heartbeat', term: ahead, round: 1 } },
    { v: 1, from: peer },
    { v: 2, from: peer, msg: { type: 'heartbeat', term: ahead, round: 1 } },
  ];
}

const JUNK_ENVELOPE_DROPS: Drops = { invalid: 5, 'unknown-peer': 1, malformed: 2 };

/** Writes `bytes` one at a time every 100 ms until they run out or the peer hangs up. */
function drip(
  write: (chunk: Buffer) => void,
  bytes: Buffer,
  closed: () => boolean,
  track: AttackTarget['track'],
): void {
  let sent = 0;
  const timer = setInterval(() => {
    if (closed() || sent >= bytes.length) clearInterval(timer);
    else write(bytes.subarray(sent, ++sent));
  }, 100);
  track(() => clearInterval(timer));
}

async function tcp(target: AttackTarget) {
  const client = await rawTcpClient(target.port);
  target.track(() => client.socket.destroy());
  return client;
}

async function ws(target: AttackTarget) {
  const client = await rawWsClient(target.port);
  target.track(() => client.ws.terminate());
  return client;
}

const tcpAttacks: JunkAttack[] = [
  {
    name: 'random bytes (read as an absurd length prefix)',
    drops: { oversize: 1 },
    async run(target) {
      const garbage = randomBytes(64);
      garbage[0] = garbage[0]! | 0x80;
      (await tcp(target)).socket.write(garbage);
    },
  },
  {
    name: 'a frame of random bytes',
    drops: { malformed: 1 },
    async run(target) {
      const body = randomBytes(64);
      body[0] = 0xff; // never valid UTF-8, so never JSON
      (await tcp(target)).socket.write(tcpFrame(body));
    },
  },
  {
    name: 'a length prefix just over 1 MiB',
    drops: { oversize: 1 },
    async run(target) {
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(ONE_MIB + 1, 0);
      (await tcp(target)).socket.write(prefix);
    },
  },
  {
    name: 'a hello from a known peer, then envelopes with bad fields, types and senders',
    drops: JUNK_ENVELOPE_DROPS,
    async run(target) {
      const client = await tcp(target);
      const frames = junkEnvelopes(target.knownPeer, target.term);
      client.socket.write(Buffer.concat([hello(target.knownPeer), ...frames].map(tcpFrame)));
    },
  },
  {
    name: 'a hello from an unknown id, then its heartbeat',
    drops: { 'unknown-peer': 1 },
    async run(target) {
      const heartbeat = { type: 'heartbeat', term: target.term + 100, round: 1 };
      (await tcp(target)).socket.write(
        Buffer.concat([
          tcpFrame(hello('mallory')),
          tcpFrame({ v: 1, from: 'mallory', msg: heartbeat }),
        ]),
      );
    },
  },
  {
    name: 'a half-open connection that never says hello',
    drops: { timeout: 1 },
    async run(target) {
      await tcp(target);
    },
  },
  {
    name: 'an envelope trickling in one byte every 100 ms',
    drops: { timeout: 1 },
    async run(target) {
      const client = await tcp(target);
      client.socket.write(tcpFrame(hello(target.knownPeer)));
      const slow = tcpFrame({ v: 1, from: target.knownPeer, msg: { type: 'x' } });
      drip((chunk) => client.socket.write(chunk), slow, client.closed, target.track);
    },
  },
];

const wsAttacks: JunkAttack[] = [
  {
    name: 'random bytes instead of an HTTP upgrade',
    drops: { malformed: 1 },
    async run(target) {
      const garbage = randomBytes(256);
      garbage[0] = 0xff;
      (await tcp(target)).socket.write(garbage);
    },
  },
  {
    name: 'a WebSocket message of random bytes',
    drops: { malformed: 1 },
    async run(target) {
      const body = randomBytes(64);
      body[0] = 0xff;
      (await ws(target)).ws.send(body);
    },
  },
  {
    name: 'a message just over 1 MiB',
    drops: { oversize: 1 },
    async run(target) {
      const client = await ws(target);
      client.ws.send(JSON.stringify(hello(target.knownPeer)));
      client.ws.send(Buffer.alloc(ONE_MIB + 1, 0x20));
    },
  },
  {
    name: 'a hello from a known peer, then envelopes with bad fields, types and senders',
    drops: JUNK_ENVELOPE_DROPS,
    async run(target) {
      const client = await ws(target);
      const frames = junkEnvelopes(target.knownPeer, target.term);
      for (const frame of [hello(target.knownPeer), ...frames]) {
        client.ws.send(JSON.stringify(frame));
      }
    },
  },
  {
    name: 'a hello from an unknown id, then its heartbeat',
    drops: { 'unknown-peer': 1 },
    async run(target) {
      const client = await ws(target);
      const heartbeat = { type: 'heartbeat', term: target.term + 100, round: 1 };
      client.ws.send(JSON.stringify(hello('mallory')));
      client.ws.send(JSON.stringify({ v: 1, from: 'mallory', msg: heartbeat }));
    },
  },
  {
    name: 'a half-open TCP connection that never sends its upgrade',
    drops: { timeout: 1 },
    async run(target) {
      await tcp(target);
    },
  },
  {
    name: 'a WebSocket that never says hello',
    drops: { timeout: 1 },
    async run(target) {
      await ws(target);
    },
  },
  {
    name: 'an upgrade request trickling in one byte every 100 ms',
    drops: { timeout: 1 },
    async run(target) {
      const client = await tcp(target);
      const request = Buffer.from(
        `GET ${WS_PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n` +
          'Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n' +
          'Sec-WebSocket-Version: 13\r\n\r\n',
      );
      drip((chunk) => client.socket.write(chunk), request, client.closed, target.track);
    },
  },
];

export const JUNK_ATTACKS: Record<StreamKind, JunkAttack[]> = { tcp: tcpAttacks, ws: wsAttacks };

/**
 * The WebSocket twin of the trickling TCP envelope: the upgrade and hello arrive whole, so
 * only a frame clock (frameTimeoutMs), not the handshake clock, can end it.
 */
export const WS_TRICKLING_FRAME: JunkAttack = {
  name: 'a WebSocket frame trickling in one byte every 100 ms after the hello',
  drops: { timeout: 1 },
  async run(target) {
    const client = await rawWsUpgrade(target.port);
    target.track(() => client.socket.destroy());
    client.socket.write(maskedTextFrame(JSON.stringify(hello(target.knownPeer))));
    const slow = maskedTextFrame(JSON.stringify({ v: 1, from: target.knownPeer, msg: {} }));
    drip((chunk) => client.socket.write(chunk), slow, client.closed, target.track);
  },
};

/**
 * Claims a running peer's id and sends one bad envelope. The target lets the newest
 * connection for a peer win (that is how a restarted peer gets back in), so this displaces
 * the real peer until it redials: expected, as long as the cluster recovers.
 */
export async function impersonate(kind: StreamKind, target: AttackTarget, peer: string) {
  const bad = { v: 1, from: peer, msg: { type: 'heartbeat', term: 'x', round: 1 } };
  if (kind === 'tcp') {
    (await tcp(target)).socket.write(Buffer.concat([tcpFrame(hello(peer)), tcpFrame(bad)]));
  } else {
    const client = await ws(target);
    client.ws.send(JSON.stringify(hello(peer)));
    client.ws.send(JSON.stringify(bad));
  }
}

export const IMPERSONATION_DROPS: Drops = { invalid: 1 };

/** Claims `peer`'s id on a fresh connection and sends `messages` as its envelopes. */
export async function sendAs(
  kind: StreamKind,
  target: AttackTarget,
  peer: string,
  messages: unknown[],
): Promise<void> {
  const frames = [hello(peer), ...messages.map((msg) => ({ v: 1, from: peer, msg }))];
  if (kind === 'tcp') {
    (await tcp(target)).socket.write(Buffer.concat(frames.map(tcpFrame)));
  } else {
    const client = await ws(target);
    for (const frame of frames) client.ws.send(JSON.stringify(frame));
  }
}
