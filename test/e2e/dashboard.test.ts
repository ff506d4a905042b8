import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliProcess,
  ensureBuilt,
  killSpawned,
  raftMemberArgs,
  startCli,
} from '../integration/cli-process.js';
import { freePorts } from '../integration/free-port.js';
import { waitFor } from '../integration/wait-for.js';
import {
  artifactPath,
  type Browser,
  launchBrowser,
  MISSING_CHROMIUM,
  skipBrowser,
} from './browser.js';

const DASHBOARD_LINE = /demo: dashboard (http:\/\/127\.0\.0\.1:\d+\/)/;

async function startDemo(args: string[]): Promise<{ proc: CliProcess; url: string }> {
  const proc = startCli(['demo', '--port', '0', ...args]);
  await waitFor(
    () => DASHBOARD_LINE.test(proc.stdout) || proc.exited,
    30_000,
    'the demo to print its dashboard URL',
  );
  const url = DASHBOARD_LINE.exec(proc.stdout)?.[1];
  if (url === undefined) throw new Error(`demo did not start: ${proc.stderr}`);
  return { proc, url };
}

async function stopDemo(proc: CliProcess): Promise<void> {
  if (proc.exited) return;
  process.kill(proc.pid, 'SIGINT');
  await waitFor(() => proc.exited, 15_000, 'the demo to exit');
}

/** What each card says: alive, role and the leader it follows. */
async function cardsOf(page: Page) {
  return page.$$eval('article.card', (cards) =>
    cards.map((c) => ({
      id: c.getAttribute('data-node') ?? '',
      alive: c.getAttribute('data-alive') === 'true',
      leading: c.getAttribute('data-leading') === 'true',
      role: c.querySelector('.role')?.textContent ?? '',
      leader: c.querySelector('.leader-of')?.textContent ?? '',
      active: [...c.querySelectorAll('rect.active')].map((r) => r.getAttribute('data-state')),
    })),
  );
}

type Card = Awaited<ReturnType<typeof cardsOf>>[number];

/** The leader every live card names, once they all agree on one that leads. */
async function agreedLeader(page: Page, among?: readonly string[]): Promise<string | null> {
  const cards = (await cardsOf(page)).filter(
    (c) => c.alive && (among === undefined || among.includes(c.id)),
  );
  const leader = cards[0]?.leader;
  if (leader === undefined || leader === 'none') return null;
  const holder = cards.find((c: Card) => c.id === leader);
  if (holder === undefined || !holder.leading) return null;
  return cards.every((c) => c.leader === leader) ? leader : null;
}

async function waitForLeader(page: Page, among?: readonly string[], not?: string): Promise<string> {
  let leader: string | null = null;
  await waitFor(
    async () => {
      leader = await agreedLeader(page, among);
      return leader !== null && leader !== not;
    },
    30_000,
    `every live card${among ? ` of ${among.join(', ')}` : ''} to name a new leader`,
    100,
  );
  return leader!;
}

describe.skipIf(skipBrowser)('dashboard in Chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    ensureBuilt();
    browser = await launchBrowser();
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await killSpawned();
  });

  it('shows a 5-node raft cluster: kill the leader, partition, heal', async () => {
    const { proc, url } = await startDemo(['--nodes', '5']);
    const page = await browser.context.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector('article.card[data-node="n5"]');
      const first = await waitForLeader(page);
      // The leader's statechart highlights its leader state; a follower's its follower state.
      const cards = await cardsOf(page);
      expect(cards.find((c) => c.id === first)?.active).toContain('raft.leader');
      expect(cards.find((c) => c.id !== first)?.active).toContain('raft.follower');
      await page.screenshot({ path: artifactPath('raft-5-leader.png'), fullPage: true });

      await page.click(`article.card[data-node="${first}"] button[data-act="kill"]`);
      await waitFor(
        async () => !(await cardsOf(page)).find((c) => c.id === first)!.alive,
        15_000,
        `the card of ${first} to show it down`,
      );
      const second = await waitForLeader(page, undefined, first);
      expect(second).not.toBe(first);
      await page.screenshot({ path: artifactPath('raft-5-after-kill.png'), fullPage: true });
      await page.waitForSelector('#timeline li[data-kind="fault"]');

      // Bring the old leader back, then cut two nodes off from the other three.
      await page.click(`article.card[data-node="${first}"] button[data-act="restart"]`);
      await waitFor(
        async () => (await cardsOf(page)).every((c) => c.alive),
        15_000,
        'every card to show its node up',
      );
      const ids = ['n1', 'n2', 'n3', 'n4', 'n5'];
      const leaderNow = await waitForLeader(page);
      // The minority holds the current leader, so the majority must elect another.
      const minority = [leaderNow, ids.find((id) => id !== leaderNow)!];
      const majority = ids.filter((id) => !minority.includes(id));
      for (const id of minority) await page.click(`#partition-nodes .chip[data-node="${id}"]`);
      await page.click('#partition-apply');
      await waitFor(
        async () =>
          (await cardsOf(page))
            .filter((c) => minority.includes(c.id))
            .every((c) => !c.leading && c.leader === 'none'),
        30_000,
        'the minority side to lose its leader',
        100,
      );
      const majorityLeader = await waitForLeader(page, majority);
      expect(majority).toContain(majorityLeader);
      await page.screenshot({ path: artifactPath('raft-5-partitioned.png'), fullPage: true });

      await page.click('#heal');
      await waitFor(
        async () => (await agreedLeader(page)) !== null,
        30_000,
        'all five to agree on one leader after healing',
        100,
      );
      expect(await page.textContent('#reply')).toBe('healed');
      // Messages flowed, and the page kept up: frames keep coming.
      const stats = await page.evaluate(
        () => (globalThis as unknown as { __dashboard: { frames: number } }).__dashboard,
      );
      expect(stats.frames).toBeGreaterThan(10);
      expect(await page.$$eval('#messages li', (l) => l.length)).toBeGreaterThan(0);
    } finally {
      await page.close();
      await stopDemo(proc);
    }
    expect(proc.code).toBe(0);
  });

  it('runs bully too: the highest live pid leads, and a slowed link is reported', async () => {
    const { proc, url } = await startDemo(['--nodes', '4', '--protocol', 'bully']);
    const page = await browser.context.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector('article.card[data-node="n4"]');
      // Members start together; the highest takes over as soon as it is up.
      await waitFor(async () => (await agreedLeader(page)) === 'n4', 30_000, 'n4 to lead', 100);
      const cards = await cardsOf(page);
      expect(cards.find((c) => c.id === 'n4')?.active).toContain('bully.leader');
      await page.click('article.card[data-node="n4"] button[data-act="kill"]');
      await waitFor(async () => (await agreedLeader(page)) === 'n3', 30_000, 'n3 to lead', 100);
      await page.selectOption('#link-from', 'n3');
      await page.selectOption('#link-to', 'n1');
      await page.fill('#link-loss', '0');
      await page.fill('#link-delay', '40');
      await page.click('#link-apply');
      await waitFor(
        async () => (await page.textContent('#reply')) === 'link n3 → n1: 0% loss, 40 ms delay',
        10_000,
        'the link change to be confirmed',
      );
      await page.waitForSelector('#timeline li[data-kind="fault"]');
      await page.screenshot({ path: artifactPath('bully-4.png'), fullPage: true });
    } finally {
      await page.close();
      await stopDemo(proc);
    }
  });

  it("serves one member's dashboard from electorate node --http, with resign", async () => {
    const ports = await freePorts(6);
    const ids = ['n1', 'n2', 'n3'];
    const nodes = ids.map((_, i) => startCli(raftMemberArgs(ids, i, ports, ports[i + 3])));
    const pages = await Promise.all(ids.map(() => browser.context.newPage()));
    try {
      await Promise.all(
        pages.map(async (page, i) => {
          await waitFor(
            async () =>
              (await fetch(`http://127.0.0.1:${ports[i + 3]}/healthz`).catch(() => null))?.ok ===
              true,
            20_000,
            'the node to serve',
          );
          await page.goto(`http://127.0.0.1:${ports[i + 3]}/`);
          await page.waitForSelector(`article.card[data-node="${ids[i]}"]`);
        }),
      );
      // Each page shows its own node alone, and only the resign control.
      for (const page of pages) {
        expect(await page.$$eval('article.card', (c) => c.length)).toBe(1);
        expect(await page.isVisible('#partition-controls')).toBe(false);
        expect(await page.$$eval('article.card button[data-act="kill"]', (b) => b.length)).toBe(0);
      }
      // The node's page links to its Prometheus metrics, served beside it.
      const metricsUrl = await pages[0]!.$eval(
        '#metrics-link',
        (a) => (a as unknown as { href: string }).href,
      );
      expect(await pages[0]!.isVisible('#metrics-link')).toBe(true);
      expect(metricsUrl).toBe(`http://127.0.0.1:${ports[3]}/metrics`);
      const metrics = await fetch(metricsUrl);
      expect(await metrics.text()).toMatch(
        /^leader_election_master_status\{name="raft",id="n1"\} [01]$/m,
      );
      const leading = async () => {
        for (const [i, page] of pages.entries()) {
          if ((await cardsOf(page))[0]?.leading) return i;
        }
        return -1;
      };
      await waitFor(
        async () => (await leading()) >= 0,
        30_000,
        'a page to show its node leading',
        100,
      );
      const first = await leading();
      const leaderId = ids[first]!;
      for (const page of pages) {
        await waitFor(
          async () => (await cardsOf(page))[0]?.leader === leaderId,
          20_000,
          'every page to name the leader',
          100,
        );
      }
      await pages[first]!.screenshot({
        path: artifactPath('node-http-leader.png'),
        fullPage: true,
      });
      await pages[first]!.click('#resign-leader');
      await waitFor(
        async () => {
          const now = await leading();
          return now >= 0 && now !== first;
        },
        30_000,
        'another page to show its node leading',
        100,
      );
      expect((await cardsOf(pages[first]!))[0]?.leading).toBe(false);
    } finally {
      await Promise.all(pages.map((p) => p.close()));
      for (const node of nodes) if (!node.exited) process.kill(node.pid, 'SIGTERM');
      await Promise.all(nodes.map((n) => waitFor(() => n.exited, 15_000, 'the node to exit')));
    }
  });

  it("draws a group's elections as a grid coloured by leader, as /diag lists them", async () => {
    const ports = await freePorts(4);
    const ids = ['n1', 'n2', 'n3'];
    const nodes = ids.map((_, i) =>
      startCli([
        ...raftMemberArgs(ids, i, ports, i === 0 ? ports[3] : undefined),
        '--shards',
        '12',
      ]),
    );
    const page = await browser.context.newPage();
    try {
      const diagUrl = `http://127.0.0.1:${ports[3]}/diag`;
      type Listed = { name: string; leader: string | null };
      let listed: Listed[] = [];
      await waitFor(
        async () => {
          const res = await fetch(diagUrl).catch(() => null);
          if (!res?.ok) return false;
          listed = ((await res.json()) as { elections: Listed[] }).elections;
          return listed.length === 12 && listed.every((e) => e.leader !== null);
        },
        30_000,
        'every shard to have a leader in /diag',
        100,
      );
      await page.goto(`http://127.0.0.1:${ports[3]}/`);
      await page.waitForSelector('#shards:not([hidden]) .shard[data-shard="shard-11"]');
      const cells = async () =>
        page.$$eval('#shard-grid .shard', (spans) =>
          spans.map((s) => ({
            name: s.getAttribute('data-shard'),
            leader: s.getAttribute('data-leader'),
            colour: (s as unknown as { style: { background: string } }).style.background,
          })),
        );
      await waitFor(
        async () => (await cells()).every((c) => c.leader !== ''),
        20_000,
        'every cell to name a leader',
        100,
      );
      const shown = await cells();
      expect(shown.map((c) => c.name)).toEqual(listed.map((e) => e.name));
      // One colour per leader, and the legend counts every shard.
      const colourOf = new Map<string, string>();
      for (const c of shown) {
        expect(colourOf.get(c.leader!) ?? c.colour).toBe(c.colour);
        colourOf.set(c.leader!, c.colour);
      }
      expect(new Set(colourOf.values()).size).toBe(colourOf.size);
      const legend = await page.$$eval('#shard-legend span', (spans) =>
        spans.map((s) => Number(s.textContent?.split(': ')[1])),
      );
      expect(legend.reduce((a, b) => a + b, 0)).toBe(12);
      await page.screenshot({ path: artifactPath('group-grid.png'), fullPage: true });
    } finally {
      await page.close();
      for (const node of nodes) if (!node.exited) process.kill(node.pid, 'SIGTERM');
      await Promise.all(nodes.map((n) => waitFor(() => n.exited, 15_000, 'the node to exit')));
    }
  });

  it('renders 25 cards and keeps updating them', async () => {
    const { proc, url } = await startDemo(['--nodes', '25']);
    const page = await browser.context.newPage();
    try {
      await page.goto(url);
      await page.waitForSelector('article.card[data-node="n25"]');
      expect(await page.$$eval('article.card', (c) => c.length)).toBe(25);
      await waitForLeader(page);
      const framesAt = async () =>
        page.evaluate(
          () => (globalThis as unknown as { __dashboard: { frames: number } }).__dashboard.frames,
        );
      const before = await framesAt();
      await waitFor(async () => (await framesAt()) >= before + 10, 20_000, 'ten more frames', 100);
      await page.screenshot({ path: artifactPath('raft-25.png'), fullPage: true });
    } finally {
      await page.close();
      await stopDemo(proc);
    }
  });
});

if (skipBrowser) {
  describe('dashboard in Chromium', () => {
    it.skip(MISSING_CHROMIUM, () => {});
  });
}
