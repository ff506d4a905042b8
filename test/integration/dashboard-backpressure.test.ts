import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_BUFFERED_BYTES } from '../../src/dashboard/send-guard.js';
import { ensureBuilt, killSpawned, startCli } from './cli-process.js';
import { demoDashboard } from './demo-dashboard.js';
import { freePorts } from './free-port.js';
import { floodWithoutReading } from './unread-flood.js';
import { waitFor } from './wait-for.js';

interface Reply {
  type: string;
  error?: string;
}

/** A page-like client that reads everything and keeps the replies to its commands. */
async function reader(url: string): Promise<{ ws: WebSocket; replies: Reply[] }> {
  const ws = new WebSocket(`${url.replace('http:', 'ws:')}ws`, { origin: url.replace(/\/$/, '') });
  const replies: Reply[] = [];
  ws.on('message', (data) => {
    const msg = JSON.parse(String(data)) as Reply;
    if (msg.type === 'ok' || msg.type === 'error') replies.push(msg);
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  return { ws, replies };
}

describe("the demo's command socket under a client that never reads", () => {
  const demo = demoDashboard();

  it('keeps what it buffers for the client under the cap, then closes and counts it', async () => {
    const outcome = await floodWithoutReading(demo.server.address.port);
    expect(outcome.closed).toBe(true);
    expect(demo.server.refused()['slow-reader']).toBe(1);
    // Past its allowance every command was refused without being parsed, and counted.
    expect(demo.server.refused()['command-rate']).toBeGreaterThan(1000);
    expect(demo.server.peakBufferedBytes()).toBeGreaterThan(MAX_BUFFERED_BYTES / 2);
    expect(demo.server.peakBufferedBytes()).toBeLessThanOrEqual(MAX_BUFFERED_BYTES);
    // A page that reads is served as before.
    const page = await reader(demo.server.url);
    try {
      page.ws.send('{"type":"heal","ref":1}');
      await waitFor(() => page.replies.length > 0, 5000, 'a reply');
      expect(page.replies[0]!.type).toBe('ok');
    } finally {
      page.ws.close();
    }
  });

  it('refuses commands past the allowance with an error, and carries out those within it', async () => {
    const before = demo.server.refused()['command-rate'] ?? 0;
    const page = await reader(demo.server.url);
    try {
      for (let i = 0; i < 200; i++) page.ws.send(JSON.stringify({ type: 'heal', ref: i }));
      await waitFor(() => page.replies.length === 200, 10_000, 'a reply to each');
      const rate = page.replies.filter((r) => /at most \d+ a second/.test(r.error ?? ''));
      expect(rate.length).toBeGreaterThan(100);
      expect(page.replies.filter((r) => r.type === 'ok').length).toBeGreaterThan(0);
      expect((demo.server.refused()['command-rate'] ?? 0) - before).toBe(rate.length);
    } finally {
      page.ws.close();
    }
  });
});

describe('the dashboard socket of `electorate node --http`', () => {
  beforeAll(() => ensureBuilt());
  afterEach(async () => killSpawned());

  it('closes a client that sends commands and never reads, and counts it in /diag', async () => {
    const [listen, http] = (await freePorts(2)) as [number, number];
    startCli([
      'node',
      '--protocol',
      'raft',
      '--id',
      'n1',
      '--listen',
      `127.0.0.1:${listen}`,
      '--peers',
      `n1=127.0.0.1:${listen}`,
      '--http',
      `127.0.0.1:${http}`,
      '--log',
      'none',
    ]);
    const diag = async () => {
      try {
        const res = await fetch(`http://127.0.0.1:${http}/diag`);
        return (await res.json()) as { httpRefused?: Record<string, number> };
      } catch {
        return undefined;
      }
    };
    await waitFor(async () => (await diag()) !== undefined, 10_000, 'the diag server');
    const outcome = await floodWithoutReading(http);
    expect(outcome.closed).toBe(true);
    const refused = (await diag())?.httpRefused ?? {};
    expect(refused['slow-reader']).toBe(1);
    expect(refused['command-rate']).toBeGreaterThan(1000);
    const scrape = await (await fetch(`http://127.0.0.1:${http}/metrics`)).text();
    expect(scrape).toContain(
      'electorate_http_refused_total{name="raft",id="n1",reason="slow-reader"} 1\n',
    );
  });
});
