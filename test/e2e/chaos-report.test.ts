import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkHistory, renderReport } from '../../src/chaos/index.js';
import { claim, failover } from '../fixtures/chaos-history.js';
import { artifactPath, type Browser, launchBrowser, skipBrowser } from './browser.js';

/** A Raft run where n1, paused, comes back acting beside n2, and n3's disk fails silently. */
function pausedLeaderRun() {
  const b = failover('raft', 'pause').fault(2, 'disk', ['n3'], 6000, 7000, 'full');
  b.add(claim('n1', 0, 5000.5, 1));
  b.write('n1', 0, 5000.7, 1);
  // A new term while n3's disk is full: n3 had to write it, and said nothing.
  b.add({ kind: 'elected', node: 'n2', incarnation: 0, at: 6200, term: 3, token: 3 });
  return b.build();
}

describe.skipIf(skipBrowser)('chaos report in Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'electorate-chaos-report-'));
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows lanes, tenures, faults, a rejected write and the violations, offline', async () => {
    const history = pausedLeaderRun();
    const verdict = checkHistory(history);
    expect(verdict.violations.map((v) => v.rule)).toEqual([
      'stale-leader-after-pause',
      'disk-error-unreported',
    ]);
    const file = join(dir, 'report.html');
    writeFileSync(file, renderReport(history, verdict));
    const url = pathToFileURL(file).href;

    const requested: string[] = [];
    browser.context.on('request', (r) => requested.push(r.url()));
    const page = await browser.context.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector('#violations');

      expect(await page.textContent('#result')).toBe('FAIL: 2 violations');
      expect(await page.textContent('#protocol')).toBe('raft');
      for (const node of history.nodes) {
        expect(await page.locator(`.lane[data-node="${node}"]`).count()).toBe(1);
      }
      const n1 = await page.locator('.lane[data-node="n1"] .tenure').first().boundingBox();
      const n2 = await page.locator('.lane[data-node="n2"] .tenure').first().boundingBox();
      expect(n1!.width).toBeGreaterThan(10);
      expect(n2!.width).toBeGreaterThan(10);
      // n2 took over while n1 was paused, so its bar starts later and sits lower.
      expect(n2!.x).toBeGreaterThan(n1!.x);
      expect(n2!.y).toBeGreaterThan(n1!.y);
      expect(await page.locator('.lane[data-node="n3"] .tenure').count()).toBe(0);

      const pause = page.locator('.fault[data-nemesis="pause"]');
      expect(await pause.count()).toBe(1);
      expect(await pause.locator('.fault-label').textContent()).toBe('#1 pause pause');
      expect(
        await page.locator('.fault[data-nemesis="disk"] .fault-target[data-node="n3"]').count(),
      ).toBe(1);
      expect(await page.locator('#summary-table tr[data-nemesis="pause"]').count()).toBe(1);

      expect(await page.locator('.lane[data-node="n1"] .write.rejected').count()).toBe(1);
      expect(await page.locator('.write.rejected').count()).toBe(1);
      expect(await page.locator('.write.accepted').count()).toBe(verdict.stats.writes.accepted);
      expect(await page.locator('.lane[data-node="n1"] .process[data-what="cont"]').count()).toBe(
        1,
      );

      const items = page.locator('#violations li.violation');
      expect(await items.count()).toBe(2);
      expect(await items.nth(0).getAttribute('data-rule')).toBe('stale-leader-after-pause');
      expect(await items.nth(0).locator('.events code').allTextContents()).toContain(
        'n1#0 cont at 5000.0',
      );
      expect(await items.nth(1).getAttribute('data-rule')).toBe('disk-error-unreported');
      expect(await page.locator('.lane[data-node="n1"] .violation-mark').count()).toBe(1);

      await page.screenshot({ path: artifactPath('chaos-report.png'), fullPage: true });
      expect(requested.filter((u) => u !== url)).toEqual([]);
    } finally {
      await page.close();
    }
  });
});
