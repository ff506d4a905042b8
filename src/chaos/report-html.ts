import { ms, quoteEvent } from './event-text.js';
import type { ChaosHistory } from './history.js';
import { escapeHtml as esc } from './html-escape.js';
import { renderTimeline } from './report-timeline.js';
import { formatMs, SUMMARY_HEADINGS, summaryCells, summaryRows } from './summary.js';
import type { ChaosVerdict, NotPromised, Violation } from './verdict.js';

// Everything inline: the page is opened from disk, often offline, long after the run.
const STYLE = `
:root { color-scheme: light; font-family: system-ui, sans-serif; font-size: 14px; color: #1d2430; }
body { margin: 24px; }
h1 { font-size: 20px; margin: 0 0 8px; }
h2 { font-size: 16px; margin: 24px 0 8px; }
header dl { display: grid; grid-template-columns: max-content auto; gap: 2px 16px; margin: 0; }
header dt { color: #5b6575; }
header dd { margin: 0; }
.result-pass { color: #17743a; font-weight: 600; }
.result-fail { color: #b3261e; font-weight: 600; }
table { border-collapse: collapse; }
th, td { padding: 3px 10px; border-bottom: 1px solid #dfe3ea; text-align: right; }
th:first-child, td:first-child { text-align: left; }
th { font-weight: 600; background: #f3f5f8; }
.stats { color: #5b6575; }
#timeline { overflow-x: auto; }
svg text { font-size: 11px; fill: #3c4656; }
.tick { stroke: #e6e9ef; }
.tick-label { text-anchor: middle; }
.lane-bg { fill: #f7f8fa; }
.lane-label { text-anchor: end; font-weight: 600; }
.tenure { fill: #3d7ad6; opacity: 0.85; }
.fault-band { fill: #f0b429; opacity: 0.10; }
.fault-bar { fill: #f0b429; opacity: 0.55; }
.fault-target { fill: #f0b429; opacity: 0.22; }
.fault[data-nemesis="partition"] rect, .fault[data-nemesis="one-way"] rect, .fault[data-nemesis="loss"] rect, .fault[data-nemesis="delay"] rect { fill: #8e6bd8; }
.fault[data-nemesis="kill"] rect, .fault[data-nemesis="restart"] rect { fill: #d9534f; }
.fault[data-nemesis="disk"] rect, .fault[data-nemesis="store"] rect { fill: #6c7a89; }
.write.accepted { stroke: #2c8a4b; stroke-width: 1.2; }
.write.rejected { stroke: #d62828; stroke-width: 2; fill: none; }
.process path, .process circle { fill: #1d2430; stroke: #1d2430; stroke-width: 1.5; }
.process[data-what="kill"] path, .process[data-what="exit"] path { stroke: #b3261e; }
.process[data-what="start"] circle, .process[data-what="ready"] circle { fill: #2c8a4b; stroke: none; }
.violation-mark line { stroke: #d62828; stroke-width: 2; }
.violation-mark path { fill: #d62828; }
.legend span { margin-right: 16px; }
.violation, .not-promised { margin-bottom: 12px; }
.violation .rule { color: #b3261e; font-weight: 600; }
.not-promised .rule { color: #8a5a00; font-weight: 600; }
.events code { font-size: 12px; }
.none { color: #17743a; }
`;

function findingItem(
  kind: 'violation' | 'not-promised',
  f: Violation | NotPromised,
  id: string,
): string {
  const reason = 'reason' in f ? `<p class="reason">${esc(f.reason)}</p>` : '';
  return (
    `<li class="${kind}" id="${id}" data-rule="${f.rule}" data-nodes="${esc(f.nodes.join(' '))}">` +
    `<p><span class="rule">${f.rule}</span> at ${ms(f.at)}</p>` +
    `<p class="message">${esc(f.message)}</p>${reason}` +
    `<ul class="events">${f.events.map((e) => `<li><code>${esc(quoteEvent(e))}</code></li>`).join('')}</ul></li>`
  );
}

function summaryTable(verdict: ChaosVerdict): string {
  const rows = summaryRows(verdict);
  if (rows.length === 0) return '<p class="stats">No faults were injected.</p>';
  const head = SUMMARY_HEADINGS.map((h) => `<th>${h}</th>`).join('');
  const body = rows
    .map(
      (r) =>
        `<tr data-nemesis="${r.nemesis}">${summaryCells(r)
          .map((c) => `<td>${esc(c)}</td>`)
          .join('')}</tr>`,
    )
    .join('');
  return `<table id="summary-table"><thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

function faultTable(verdict: ChaosVerdict): string {
  const faults = verdict.stats.faults;
  if (faults.length === 0) return '';
  const head = [
    'fault',
    'made by',
    'targets',
    'window',
    'leader at start',
    'new leader',
    'recovery',
    'unavailable',
  ];
  const body = faults
    .map(
      (f) =>
        `<tr data-fault-id="${f.id}"><td>#${f.id} ${esc(f.nemesis)} ${esc(f.variant)}</td>` +
        `<td>${f.networkLevel ? 'the kernel' : 'the worker'}</td>` +
        `<td>${esc(f.targets.join(', '))}</td>` +
        `<td>${ms(f.start)} – ${f.end === null ? 'end' : ms(f.end)}</td>` +
        `<td>${esc(f.leaderAtStart ?? '-')}${f.tookLeader ? ' (taken)' : ''}</td>` +
        `<td>${formatMs(f.timeToNewLeaderMs)}</td><td>${formatMs(f.recoveryMs)}</td>` +
        `<td>${formatMs(f.unavailableMs)}</td></tr>`,
    )
    .join('');
  return `<h2>Faults one by one</h2><table id="fault-table"><thead><tr>${head
    .map((h) => `<th>${h}</th>`)
    .join('')}</tr></thead><tbody>${body}</tbody></table>`;
}

/** A self-contained HTML page for one run: no script, font or style is fetched from anywhere. */
export function renderReport(history: ChaosHistory, verdict: ChaosVerdict): string {
  const { stats } = verdict;
  const result = verdict.ok ? 'pass' : 'fail';
  const resultText = verdict.ok
    ? 'PASS'
    : `FAIL: ${verdict.violations.length} violation${verdict.violations.length === 1 ? '' : 's'}`;
  const title = `electorate chaos: ${history.protocol}${history.store ? ` on ${history.store}` : ''}, seed ${history.seed}: ${resultText}`;
  const violations =
    verdict.violations.length === 0
      ? '<p class="none">None.</p>'
      : `<ol>${verdict.violations.map((v, i) => findingItem('violation', v, `violation-${i + 1}`)).join('')}</ol>`;
  const notPromised =
    verdict.notPromised.length === 0
      ? '<p class="stats">None.</p>'
      : `<ol>${verdict.notPromised.map((n, i) => findingItem('not-promised', n, `not-promised-${i + 1}`)).join('')}</ol>`;
  const recovery =
    stats.recovery === null
      ? 'not checked (a fault was still active at the end)'
      : stats.recovery.agreedAt === null
        ? 'none within the bound'
        : `${esc(stats.recovery.leader ?? '')} after ${formatMs(stats.recovery.agreedAt - stats.recovery.from)}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header id="header" data-result="${result}">
<h1>${esc(title)}</h1>
<dl>
<dt>protocol</dt><dd id="protocol">${esc(history.protocol)}</dd>
<dt>store</dt><dd id="store">${esc(history.store === undefined ? '-' : `${history.store}${history.storeVersion ? ` ${history.storeVersion}` : ''}`)}</dd>
<dt>seed</dt><dd id="seed">${history.seed}</dd>
<dt>nodes</dt><dd>${esc(history.nodes.join(', '))}</dd>
<dt>duration</dt><dd>${formatMs(stats.durationMs)}</dd>
<dt>result</dt><dd id="result" class="result-${result}">${resultText}</dd>
</dl>
</header>
<section id="summary">
<h2>Summary by nemesis</h2>
${summaryTable(verdict)}
<p class="stats">${stats.claims} claims in ${stats.tenures} tenures; measurement resolution ${stats.resolutionMs.toFixed(1)} ms;
writes ${stats.writes.accepted} accepted, ${stats.writes.rejected} rejected; unavailable ${formatMs(stats.unavailableMs)};
recovery after the last heal: ${recovery}; recovery bound ${history.timing.recoveryBoundMs} ms.</p>
${faultTable(verdict)}
</section>
<section id="timeline">
<h2>Timeline</h2>
${renderTimeline(history, verdict)}
<p class="legend"><span>bars: leadership tenures</span><span>shaded: faults</span><span>green ticks: accepted writes</span>
<span>red crosses: rejected writes</span><span>markers: start, stop, cont, kill</span><span>red lines: violations</span></p>
</section>
<section id="violations">
<h2>Violations (${verdict.violations.length})</h2>
${violations}
</section>
<section id="not-promised">
<h2>Not promised (${verdict.notPromised.length})</h2>
${notPromised}
</section>
</body>
</html>
`;
}
