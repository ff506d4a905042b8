import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import {
  type StreamTransportOptions,
  type TlsOptions,
  type TransportLogic,
  tcpTransport,
  WS_PATH,
  wsTransport,
} from '../../transports/index.js';
import { freePorts } from './free-port.js';
import { tcpFrame } from './raw-tcp-client.js';
import { type CertPair, opensslAvailable, TestPki } from './tls-fixtures.js';
import { deliver, peerList, startNode, type TestNode, waitReady } from './transport-harness.js';
import { waitFor } from './wait-for.js';

/** Connects as an outsider with the given TLS material, says hello as 'a' and sends a message. */
type Intruder = (
  port: number,
  options: tls.ConnectionOptions,
) => Promise<{ closed: () => boolean }>;

const tcpIntruder: Intruder = (port, options) =>
  new Promise((resolve) => {
    let closed = false;
    const socket = tls.connect({ host: '127.0.0.1', port, ...options }, () => {
      socket.write(
        Buffer.concat([
          tcpFrame({ v: 1, hello: 'a' }),
          tcpFrame({ v: 1, from: 'a', msg: { n: 900666 } }),
        ]),
      );
    });
    socket.on('error', () => {});
    socket.resume();
    socket.once('close', () => {
      closed = true;
    });
    resolve({ closed: () => closed });
  });

const wsIntruder: Intruder = (port, options) =>
  new Promise((resolve) => {
    let closed = false;
    const ws = new WebSocket(
      `wss://127.0.0.1:${port}${WS_PATH}`,
      options as WebSocket.ClientOptions,
    );
    ws.on('open', () => {
      ws.send(JSON.stringify({ v: 1, hello: 'a' }));
      ws.send(JSON.stringify({ v: 1, from: 'a', msg: { n: 900666 } }));
    });
    ws.on('error', () => {});
    ws.once('close', () => {
      closed = true;
    });
    resolve({ closed: () => closed });
  });

const cases: Array<[string, (options: StreamTransportOptions) => TransportLogic, Intruder]> = [
  ['tcp', tcpTransport, tcpIntruder],
  ['ws', wsTransport, wsIntruder],
];

// A local run without openssl skips these; on CI (CI=true) they run and fail loudly instead.
const haveOpenssl = opensslAvailable() || process.env.CI === 'true';
if (!haveOpenssl) console.warn('skipping the TLS suites: install openssl (Debian package openssl)');
let pki: TestPki;
let ca: string;
let certs: Record<'a' | 'b', CertPair>;
let foreign: CertPair & { ca: string };
/** Signed by the trusted CA, but for a name that is no member's id. */
let mallory: CertPair;

beforeAll(() => {
  if (!haveOpenssl) return;
  pki = new TestPki();
  const trusted = pki.authority('trusted-ca');
  const other = pki.authority('other-ca');
  ca = trusted.ca;
  certs = { a: trusted.issue('a'), b: trusted.issue('b') };
  mallory = trusted.issue('mallory');
  foreign = { ca: other.ca, ...other.issue('a') };
});

afterAll(() => pki?.dispose());

describe.skipIf(!haveOpenssl).each(cases)('%s transport over TLS', (_name, transport, intrude) => {
  const running: TestNode[] = [];
  const start = (
    id: 'a' | 'b',
    ports: Record<string, number>,
    tlsOptions: Partial<TlsOptions> = {},
  ): TestNode => {
    const options = { ca, ...certs[id], mutual: true, ...tlsOptions };
    const node = startNode(
      transport({ listen: `127.0.0.1:${ports[id]}`, tls: options }),
      id,
      peerList(ports),
    );
    running.push(node);
    return node;
  };

  /** Members a and b on fresh ports ('a' dials 'b'), both ready. */
  const startPair = async (
    aTls: Partial<TlsOptions> = {},
    bTls: Partial<TlsOptions> = aTls,
  ): Promise<{ a: TestNode; b: TestNode; portB: number }> => {
    const [pa, pb] = await freePorts(2);
    const ports = { a: pa!, b: pb! };
    const a = start('a', ports, aTls);
    const b = start('b', ports, bTls);
    await waitReady(a, b);
    return { a, b, portB: pb! };
  };

  afterEach(() => {
    for (const node of running.splice(0)) node.stop();
  });

  it('exchanges messages with mutual TLS', async () => {
    const { a, b } = await startPair();
    await deliver(a, b);
    await deliver(b, a);
    expect([...a.errors, ...b.errors]).toEqual([]);
  });

  it('exchanges messages with server-only TLS and a server name', async () => {
    const { a, b } = await startPair({ mutual: false, serverName: 'localhost' }, { mutual: false });
    await deliver(a, b);
    await deliver(b, a);
  });

  it('rejects a client whose certificate comes from another CA', async () => {
    const { a, b, portB } = await startPair();
    await deliver(a, b);

    const before = b.drops('unauthenticated');
    const intruder = await intrude(portB, { ca, cert: foreign.cert, key: foreign.key });
    await waitFor(() => b.drops('unauthenticated') > before, 3000, 'the intruder to be rejected');
    await waitFor(intruder.closed, 3000, 'the intruder to be disconnected');
    expect(b.got('a', 900666)).toBe(false);

    const without = await intrude(portB, { ca });
    await waitFor(
      () => b.drops('unauthenticated') > before + 1,
      3000,
      'a certless client rejected',
    );
    await waitFor(without.closed, 3000, 'the certless client to be disconnected');
    expect(b.got('a', 900666)).toBe(false);

    await deliver(a, b);
    await deliver(b, a);
  });

  it('with verifyPeerIds, a certificate speaks only for the id it names', async () => {
    const { a, b, portB } = await startPair({ verifyPeerIds: true });
    await deliver(a, b);
    await deliver(b, a);

    const before = b.drops('unauthenticated');
    const intruder = await intrude(portB, { ca, ...mallory });
    await waitFor(() => b.drops('unauthenticated') > before, 3000, 'the impostor to be rejected');
    await waitFor(intruder.closed, 3000, 'the impostor to be disconnected');
    expect(b.got('a', 900666)).toBe(false);
    await deliver(a, b);
    await deliver(b, a);
  });

  it('without verifyPeerIds, any certificate the CA signed may claim any id', async () => {
    const { a, b, portB } = await startPair();
    await deliver(a, b);
    await intrude(portB, { ca, ...mallory });
    await waitFor(() => b.got('a', 900666), 3000, "the impostor's message to arrive as a's");
  });

  it('with verifyPeerIds, a dialer refuses a server whose certificate names another id', async () => {
    // 'a' dials 'b', whose certificate names mallory.
    const { a, b } = await startPair({ verifyPeerIds: true }, { verifyPeerIds: true, ...mallory });
    await waitFor(() => a.drops('unauthenticated') > 0, 3000, 'the dial to be refused');
    a.send('b', { n: 900777 });
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(b.got('a', 900777)).toBe(false);
  });

  it('refuses verifyPeerIds without mutual TLS', () => {
    expect(() =>
      transport({ listen: '127.0.0.1:7001', tls: { ca, ...certs.a, verifyPeerIds: true } }),
    ).toThrow(/verifyPeerIds needs mutual TLS/);
  });

  it('reports unusable TLS material as a transport error', async () => {
    const [pa] = await freePorts(1);
    const node = start('a', { a: pa! }, { key: 'not a key' });
    await waitFor(() => node.errors.length > 0, 2000, 'transport.error');
    expect(node.errors[0]!.message).toMatch(/configuration/);
    expect(node.ready).toBe(false);
  });
});
