// The dashboard under load: a demo cluster of 5 and of 25 raft nodes (50 ms heartbeats)
// watched by headless Chromium. Measures how often the page is updated, how old each update
// is when it arrives, how long after a new leader takes over its card says so, and the CPU
// the demo process uses with and without the page open.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { row } from './report.mjs';
import { median, percentile } from './stats.mjs';

const CLI = fileURLToPath(new URL('../bin/electorate.js', import.meta.url));
const CHROMIUM = '/usr/bin/chromium';
// DASHBOARD_SIZES=25 measures one size alone.
const SIZES = (process.env.DASHBOARD_SIZES ?? '5,25').split(',').map(Number);
const WATCH_SECONDS = 10;
const HANDOVERS = 5;
const CLK_TCK = 100;

/** utime + stime of a process in clock ticks (proc(5), fields 14 and 15). */
function cpuTicks(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return Number(fields[11]) + Number(fields[12]);
}

async function cpuPercent(pid, seconds) {
  const before = cpuTicks(pid);
  const start = performance.now();
  await sleep(seconds * 1000);
  return ((cpuTicks(pid) - before) / CLK_TCK / ((performance.now() - start) / 1000)) * 100;
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(predicate, timeoutMs, what) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function startDemo(nodes) {
  const child = spawn(process.execPath, [CLI, 'demo', '--nodes', String(nodes), '--port', '0'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (chunk) => {
    // Only the start matters; the per-second summaries would grow this forever.
    if (out.length < 1_000_000) out += chunk;
  });
  child.stderr.resume();
  const exited = new Promise((resolve) => child.once('close', resolve));
  return {
    child,
    url: async () => {
      await until(() => /demo: dashboard (\S+)/.test(out), 30_000, 'the dashboard URL');
      return /demo: dashboard (\S+)/.exec(out)[1];
    },
    stop: async () => {
      child.kill('SIGINT');
      await exited;
    },
  };
}

const pageStats = (page) =>
  page.evaluate(() => {
    const s = window.__dashboard;
    return {
      frames: s.frames,
      latencies: [...s.frameLatencyMs],
      renders: [...s.renderMs],
      lags: [...s.leaderLagMs],
      total: s.lastTotal ?? 0,
    };
  });

const leaderOnPage = (page) =>
  page.evaluate(() => {
    const cards = [...document.querySelectorAll('article.card[data-alive="true"]')];
    const lead = cards.find((c) => c.dataset.leading === 'true');
    if (!lead) return null;
    const id = lead.dataset.node;
    return cards.every((c) => c.querySelector('.leader-of').textContent === id) ? id : null;
  });

async function measure(context, nodes, log) {
  const demo = startDemo(nodes);
  try {
    const url = await demo.url();
    // Past the first election and the start-up work, so the figure is the cluster at rest.
    await sleep(5000);
    const idleCpu = await cpuPercent(demo.child.pid, 5);
    const page = await context.newPage();
    await page.goto(url);
    await page.waitForSelector(`article.card[data-node="n${nodes}"]`);
    await until(async () => (await leaderOnPage(page)) !== null, 30_000, 'a leader on the page');
    const before = await pageStats(page);
    const start = performance.now();
    const watchedCpu = await cpuPercent(demo.child.pid, WATCH_SECONDS);
    const after = await pageStats(page);
    const seconds = (performance.now() - start) / 1000;
    const fresh = after.latencies.slice(-Math.max(1, after.frames - before.frames));
    const renders = after.renders.slice(-Math.max(1, after.frames - before.frames));
    const lags = [];
    for (let i = 0; i < HANDOVERS; i++) {
      const old = await leaderOnPage(page);
      const seen = (await pageStats(page)).lags.length;
      await page.click('#resign-leader');
      await until(
        async () => {
          const now = await leaderOnPage(page);
          return now !== null && now !== old && (await pageStats(page)).lags.length > seen;
        },
        30_000,
        'a new leader on the page',
      );
      lags.push((await pageStats(page)).lags.at(-1));
      await sleep(500);
    }
    await page.close();
    const figures = {
      nodes,
      updatesPerSecond: (after.frames - before.frames) / seconds,
      messagesPerSecond: (after.total - before.total) / seconds,
      frameAgeMedianMs: median(fresh),
      frameAgeP95Ms: percentile(fresh, 95),
      renderMedianMs: median(renders),
      renderP95Ms: percentile(renders, 95),
      leaderLagMedianMs: median(lags),
      leaderLagWorstMs: Math.max(...lags),
      cpuIdlePercent: idleCpu,
      cpuWatchedPercent: watchedCpu,
    };
    log(
      `dashboard ${nodes} nodes: ${figures.updatesPerSecond.toFixed(1)} updates/s, ` +
        `${Math.round(figures.messagesPerSecond)} msg/s, update age median ${figures.frameAgeMedianMs} ms, page work per update median ${figures.renderMedianMs.toFixed(1)} ms, ` +
        `leader lag median ${figures.leaderLagMedianMs} ms, CPU ${idleCpu.toFixed(0)}% → ${watchedCpu.toFixed(0)}%`,
    );
    return figures;
  } finally {
    await demo.stop();
  }
}

export async function dashboardPart(_runs, log) {
  if (!existsSync(CHROMIUM))
    throw new Error(`the dashboard part needs ${CHROMIUM} (Debian package 'chromium')`);
  const profile = mkdtempSync(join(tmpdir(), 'electorate-bench-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--no-first-run',
    ],
  });
  const raw = [];
  try {
    for (const nodes of SIZES) raw.push(await measure(context, nodes, log));
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const ms = (v) => `${Math.round(v)} ms`;
  const rows = raw.flatMap((f) => [
    row(
      `dashboard, ${f.nodes} raft nodes: page updates per second`,
      f.updatesPerSecond,
      f.updatesPerSecond.toFixed(1),
      '≥ 8',
      f.updatesPerSecond >= 8,
    ),
    row(
      `dashboard, ${f.nodes} raft nodes: messages per second shown`,
      f.messagesPerSecond,
      String(Math.round(f.messagesPerSecond)),
    ),
    row(
      `dashboard, ${f.nodes} raft nodes: update age on arrival, median / p95`,
      f.frameAgeP95Ms,
      `${ms(f.frameAgeMedianMs)} / ${ms(f.frameAgeP95Ms)}`,
      'p95 ≤ 100 ms',
      f.frameAgeP95Ms <= 100,
    ),
    row(
      `dashboard, ${f.nodes} raft nodes: page time to apply one update, median / p95`,
      f.renderP95Ms,
      `${f.renderMedianMs.toFixed(1)} ms / ${f.renderP95Ms.toFixed(1)} ms`,
    ),
    row(
      `dashboard, ${f.nodes} raft nodes: new leader to card updated, median / worst of ${HANDOVERS}`,
      f.leaderLagMedianMs,
      `${ms(f.leaderLagMedianMs)} / ${ms(f.leaderLagWorstMs)}`,
      'median ≤ 250 ms',
      f.leaderLagMedianMs <= 250,
    ),
    row(
      `dashboard, ${f.nodes} raft nodes: demo process CPU, no page / page open`,
      f.cpuWatchedPercent,
      `${f.cpuIdlePercent.toFixed(0)}% / ${f.cpuWatchedPercent.toFixed(0)}%`,
    ),
  ]);
  return {
    rows,
    settings: { sizes: SIZES, watchSeconds: WATCH_SECONDS, handovers: HANDOVERS },
    raw,
  };
}
