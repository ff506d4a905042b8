import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { InitiatorHandshake } from '../../transports/stream-auth.js';
import { ensureBuilt, killSpawned, runCli, startCli } from './cli-process.js';
import { STREAM_KINDS, type StreamKind } from './election-cluster.js';
import { freePorts } from './free-port.js';
import { rawTcpClient, tcpFrame } from './raw-tcp-client.js';
import { rawWsClient } from './raw-ws-client.js';
import { waitFor } from './wait-for.js';

interface Diag {
  id: string;
  leader: string | null;
  term: number | null;
  isLeader: boolean;
  dropped: Record<string, number>;
  errors: number;
}

const IDS = ['n1', 'n2', 'n3'];
const FORGED_TERM = 1_000_000;
let dir: string;
let secretFile: string;
const cleanups: Array<() => void> = [];

beforeAll(() => {
  ensureBuilt();
  dir = mkdtempSync(join(tmpdir(), 'electorate-secret-'));
  secretFile = join(dir, 'secret');
  writeFileSync(secretFile, 'correct horse battery staple\n');
}, 120_000);

afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) cleanup();
  await killSpawned();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function diag(port: number): Promise<Diag | undefined> {
  try {
    const response = await fetch(`http://127.0.0.1:${port}/diag`);
    return response.ok ? ((await response.json()) as Diag) : undefined;
  } catch {
    return undefined;
  }
}

/** Every node's /diag once one leads and all name it in one term. */
async function agreed(httpPorts: number[]): Promise<Diag[]> {
  let docs: Diag[] = [];
  await waitFor(
    async () => {
      const all = await Promise.all(httpPorts.map(diag));
      if (all.some((d) => d === undefined)) return false;
      docs = all as Diag[];
      const leaders = docs.filter((d) => d.isLeader);
      return (
        leaders.length === 1 &&
        docs.every((d) => d.leader === leaders[0]!.id && d.term === leaders[0]!.term)
      );
    },
    15_000,
    'three processes to agree on a leader',
    25,
  );
  return docs;
}

/** Claims `peer` on a raw connection to `port` and sends `frames` (texts), then a heartbeat. */
async function forge(kind: StreamKind, port: number, frames: string[]): Promise<void> {
  if (kind === 'tcp') {
    const client = await rawTcpClient(port);
    cleanups.push(() => client.socket.destroy());
    client.socket.write(Buffer.concat(frames.map((f) => tcpFrame(Buffer.from(f)))));
  } else {
    const client = await rawWsClient(port);
    cleanups.push(() => client.ws.terminate());
    for (const f of frames) client.ws.send(f);
  }
}

describe.each(STREAM_KINDS)('electorate node --secret-file over %s', (kind) => {
  it('elects a leader, and a forged heartbeat with a huge term is dropped and counted', async () => {
    const ports = await freePorts(6);
    const listen = IDS.map((_, i) => ports[i]!);
    const http = IDS.map((_, i) => ports[IDS.length + i]!);
    const peers = IDS.map((id, i) => `${id}=127.0.0.1:${listen[i]}`).join(',');
    const procs = IDS.map((id, i) =>
      startCli([
        'node',
        '--protocol=raft',
        `--id=${id}`,
        `--transport=${kind}`,
        `--listen=127.0.0.1:${listen[i]}`,
        `--peers=${peers}`,
        `--http=127.0.0.1:${http[i]}`,
        `--secret-file=${secretFile}`,
        '--log=none',
      ]),
    );
    const before = await agreed(http);
    const term = before[0]!.term!;
    const leader = before[0]!.leader!;

    // n1 dials n3, so n3 takes a hello from n1: the attacker claims to be n1.
    const target = 2;
    const heartbeat = JSON.stringify({
      v: 1,
      from: 'n1',
      msg: { type: 'heartbeat', term: FORGED_TERM, round: 1 },
    });
    const attacks = [
      [JSON.stringify({ v: 1, hello: 'n1' }), heartbeat],
      [
        new InitiatorHandshake(Buffer.from('a guess'), 'n1', 'link').hello(),
        JSON.stringify({ v: 1, proof: '0'.repeat(64) }),
        heartbeat,
      ],
    ];
    const refusedBefore = before[target]!.dropped.unauthenticated ?? 0;
    for (const frames of attacks) await forge(kind, listen[target]!, frames);
    await waitFor(
      async () => ((await diag(http[target]!))?.dropped.unauthenticated ?? 0) >= refusedBefore + 2,
      5000,
      'both forgeries counted as unauthenticated',
    );

    const after = await agreed(http);
    expect(after[target]!.dropped.unauthenticated).toBe(refusedBefore + 2);
    expect(after.map((d) => d.term)).toEqual(IDS.map(() => term));
    expect(after.map((d) => d.leader)).toEqual(IDS.map(() => leader));
    expect(after.map((d) => d.dropped.replaced ?? 0)).toEqual([0, 0, 0]);
    expect(after.map((d) => d.errors)).toEqual([0, 0, 0]);
    // On loopback, with a secret, nothing to warn about.
    expect(procs.map((p) => p.stderr)).toEqual(['', '', '']);
  });
});

describe('electorate node listening beyond loopback', () => {
  it('warns once, in one line, when it has neither a secret nor mutual TLS', async () => {
    // A documentation address no interface has: the node warns, then fails to listen.
    const proc = await runCli([
      'node',
      '--protocol=raft',
      '--id=n1',
      '--listen=192.0.2.1:7001',
      '--peers=n1=192.0.2.1:7001',
    ]);
    const lines = proc.stderr.split('\n').filter((l) => l.includes('warning'));
    expect(lines).toEqual([
      'electorate: warning: listening on 192.0.2.1:7001 with neither --secret nor --tls-mutual: anyone who can reach it can claim to be a member',
    ]);
  });
});
