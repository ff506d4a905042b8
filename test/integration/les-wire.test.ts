import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type LesNode, lesAddresses, lesNode } from './les-cluster.js';
import { waitFor } from './wait-for.js';

const running: LesNode[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((n) => n.stop()));
});

async function start(address: string, seeds: string[], startTime: number): Promise<LesNode> {
  const node = lesNode(address, seeds, { startTime, loopMs: 100 });
  running.push(node);
  await node.start();
  return node;
}

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** Sends `request` byte for byte and reads the response until the server closes. */
function raw(address: string, request: string | Buffer): Promise<RawResponse> {
  const port = Number(address.slice(address.lastIndexOf(':') + 1));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const socket = net.connect({ host: '127.0.0.1', port }, () => socket.write(request));
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine, ...headerLines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine?.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
  });
}

const get = (address: string, path: string) =>
  raw(address, `GET ${path} HTTP/1.1\r\nHost: ${address}\r\nConnection: close\r\n\r\n`);

describe('les wire format', () => {
  it('answers /ping with OK', async () => {
    const [a] = await lesAddresses(1);
    await start(a!, [a!], 1_700_000_000.25);
    const res = await get(a!, '/ping');
    expect(res.status).toBe(200);
    expect(res.body).toBe('OK');
    expect((await get(a!, '/ping/')).body).toBe('OK');
  });

  it("serves /state as the reference's json.dumps would", async () => {
    const [a] = await lesAddresses(1);
    await start(a!, [a!], 1_700_000_000.25);
    for (const path of ['/state', '/state/']) {
      const res = await get(a!, path);
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.body).toBe(`{"members": ["${a}"], "leader": false, "start_time": 1700000000.25}`);
    }
  });

  it('writes a whole start_time as a float, as Python does', async () => {
    const [a] = await lesAddresses(1);
    await start(a!, [a!], 1_700_000_000);
    expect((await get(a!, '/state')).body).toBe(
      `{"members": ["${a}"], "leader": false, "start_time": 1700000000.0}`,
    );
  });

  it('/state/<addr> adds a requester that answers /ping before answering', async () => {
    const [a, b, dead] = await lesAddresses(3);
    await start(a!, [a!], 1_700_000_000.5);
    // b runs but does not know a; only the request below tells a about b.
    await start(b!, [b!], 1_700_000_001.5);
    const res = await get(a!, `/state/${b}`);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body).members).toEqual([a, b]);
    // Nothing listens on `dead`: it is not added, and the answer still comes.
    const deadRes = await get(a!, `/state/${dead}`);
    expect(JSON.parse(deadRes.body).members).not.toContain(dead);
  });

  it('serves /diag and /diag/ indented, with every member state', async () => {
    const [a, b] = (await lesAddresses(2)).sort();
    const nodeA = await start(a!, [a!, b!], 1_700_000_000.5);
    await start(b!, [a!, b!], 1_700_000_001.5);
    await waitFor(() => nodeA.election.isLeader, 10_000, 'the older node to lead');
    await waitFor(
      async () => JSON.parse((await get(a!, '/diag')).body).member_states[b!]?.leader === a,
      10_000,
      "a to hold b's state naming it",
    );
    for (const path of ['/diag', '/diag/']) {
      const res = await get(a!, path);
      expect(res.status).toBe(200);
      const doc = JSON.parse(res.body);
      const state = (first: string, second: string, start: string) =>
        [
          '{',
          '    "members": [',
          `      "${first}",`,
          `      "${second}"`,
          '    ],',
          `    "leader": "${a}",`,
          `    "start_time": ${start}`,
          '  }',
        ].join('\n');
      expect(Object.keys(doc.member_states)).toEqual([a, b]);
      expect(res.body).toBe(
        [
          '{',
          `  "state": ${state(a!, b!, '1700000000.5')},`,
          '  "member_states": {',
          `    "${a}": ${state(a!, b!, '1700000000.5').replaceAll('\n', '\n  ')},`,
          `    "${b}": ${state(b!, a!, '1700000001.5').replaceAll('\n', '\n  ')}`,
          '  }',
          '}',
          '',
        ].join('\n'),
      );
    }
  }, 30_000);

  it('refuses other methods, paths and malformed addresses, and counts the junk', async () => {
    const [a] = await lesAddresses(1);
    const node = await start(a!, [a!], 1_700_000_000.5);
    expect(
      (
        await raw(
          a!,
          `POST /state HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`,
        )
      ).status,
    ).toBe(405);
    expect((await get(a!, '/nope')).status).toBe(404);
    for (const bad of [
      '/state/nohost',
      '/state/a%20b:1',
      '/state/x:99999',
      `/state/${'a'.repeat(300)}:1`,
    ]) {
      expect((await get(a!, bad)).status).toBe(400);
    }
    expect(node.election.status().dropped.invalid).toBe(4);
    const junk = await raw(a!, Buffer.from([0, 1, 2, 3, 0xff, 13, 10, 13, 10]));
    expect(junk.status).toBe(400);
    expect(node.election.status().dropped.malformed).toBe(1);
    expect(JSON.parse((await get(a!, '/state')).body).members).toEqual([a]);
  });
});
