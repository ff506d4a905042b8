import { ms, quoteEvent } from './event-text.js';
import type { ChaosHistory, FaultEvent } from './history.js';
import { HistoryIndex } from './history-index.js';
import { escapeHtml as esc } from './html-escape.js';
import { tenuresOf } from './tenures.js';
import type { ChaosVerdict } from './verdict.js';

const WIDTH = 1200;
const LABEL = 64;
const PLOT = WIDTH - LABEL - 16;
const AXIS = 22;
const FAULT_ROW = 18;
const LANE = 40;

const r1 = (x: number) => Math.round(x * 10) / 10;

/** Ticks at 1, 2 or 5 times a power of ten seconds, about ten across the run. */
function tickStep(spanMs: number): number {
  const raw = Math.max(spanMs / 10, 1);
  const p = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? raw;
}

/** Faults stacked in as few rows as keep them from covering each other. */
function faultRows(faults: FaultEvent[], end: number): Map<number, number> {
  const rowEnds: number[] = [];
  const rowOf = new Map<number, number>();
  for (const f of [...faults].sort((a, b) => a.start - b.start)) {
    let row = rowEnds.findIndex((e) => e <= f.start);
    if (row < 0) row = rowEnds.push(0) - 1;
    rowEnds[row] = f.end ?? end;
    rowOf.set(f.id, row);
  }
  return rowOf;
}

/**
 * The run as an SVG: one lane per node with its leadership tenures, writes and process
 * events, the faults shaded across the lanes they hit, and the violations marked.
 */
export function renderTimeline(history: ChaosHistory, verdict: ChaosVerdict): string {
  const index = new HistoryIndex(history);
  const span = Math.max(history.end - history.start, 1);
  const x = (t: number) =>
    r1(LABEL + ((Math.min(Math.max(t, history.start), history.end) - history.start) / span) * PLOT);
  const faults = index.of('fault');
  const rowOf = faultRows(faults, history.end);
  const rows = Math.max(1, ...[...rowOf.values()].map((r) => r + 1));
  const lanesTop = AXIS + rows * FAULT_ROW + 6;
  const laneIndex = new Map(history.nodes.map((n, i) => [n, i]));
  const laneY = (node: string) => lanesTop + (laneIndex.get(node) ?? 0) * LANE;
  const height = lanesTop + history.nodes.length * LANE + 4;
  const out: string[] = [];

  out.push(
    `<svg id="timeline-svg" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${WIDTH} ${height}" ` +
      `width="${WIDTH}" height="${height}" role="img" aria-label="timeline">`,
  );

  const step = tickStep(span);
  out.push('<g class="axis">');
  for (let t = 0; t <= span; t += step) {
    const tx = x(history.start + t);
    out.push(
      `<line class="tick" x1="${tx}" y1="${AXIS - 4}" x2="${tx}" y2="${height}"/>` +
        `<text class="tick-label" x="${tx}" y="${AXIS - 8}">${r1(t / 1000)} s</text>`,
    );
  }
  out.push('</g>');

  out.push('<g class="faults">');
  for (const f of faults) {
    const x0 = x(f.start);
    const w = Math.max(x(f.end ?? history.end) - x0, 2);
    const y = AXIS + (rowOf.get(f.id) ?? 0) * FAULT_ROW;
    const label = `#${f.id} ${f.nemesis} ${f.variant}`;
    out.push(
      `<g class="fault" data-nemesis="${esc(f.nemesis)}" data-fault-id="${f.id}">` +
        `<title>${esc(quoteEvent(f))}</title>` +
        `<rect class="fault-band" x="${x0}" y="${lanesTop}" width="${w}" height="${height - lanesTop}"/>` +
        `<rect class="fault-bar" x="${x0}" y="${y}" width="${w}" height="${FAULT_ROW - 3}"/>` +
        `<text class="fault-label" x="${x0 + 3}" y="${y + FAULT_ROW - 7}">${esc(label)}</text>`,
    );
    for (const node of f.targets) {
      if (!laneIndex.has(node)) continue;
      out.push(
        `<rect class="fault-target" data-node="${esc(node)}" x="${x0}" y="${laneY(node) + 2}" width="${w}" height="${LANE - 4}"/>`,
      );
    }
    out.push('</g>');
  }
  out.push('</g>');

  const tenures = tenuresOf(index);
  const violationAt = verdict.violations.map((v, i) => ({ v, id: `violation-${i + 1}` }));
  for (const node of history.nodes) {
    const y = laneY(node);
    out.push(
      `<g class="lane" data-node="${esc(node)}">` +
        `<rect class="lane-bg" x="${LABEL}" y="${y}" width="${PLOT}" height="${LANE - 2}"/>` +
        `<text class="lane-label" x="${LABEL - 8}" y="${y + LANE / 2 + 3}">${esc(node)}</text>`,
    );
    for (const t of tenures.filter((t) => t.node === node)) {
      const x0 = x(t.from);
      const w = Math.max(x(t.to) - x0, 1.5);
      const token = t.token === null ? '' : ` data-token="${t.token}"`;
      out.push(
        `<rect class="tenure" data-node="${esc(node)}" data-incarnation="${t.incarnation}"${token} ` +
          `x="${x0}" y="${y + 9}" width="${w}" height="${LANE - 20}">` +
          `<title>${esc(
            `${node}#${t.incarnation} led ${t.token === null ? '' : `with token ${t.token} `}` +
              `from ${ms(t.from)} to ${ms(t.to)}: ${t.claims.length} claims`,
          )}</title></rect>`,
      );
    }
    for (const w of index.of('write').filter((w) => w.node === node)) {
      const wx = x(w.at);
      const title = `<title>${esc(quoteEvent(w))}</title>`;
      out.push(
        w.accepted
          ? `<line class="write accepted" x1="${wx}" y1="${y + LANE - 10}" x2="${wx}" y2="${y + LANE - 4}">${title}</line>`
          : `<path class="write rejected" d="M${wx - 3} ${y + LANE - 10}l6 6m0 -6l-6 6">${title}</path>`,
      );
    }
    for (const p of index.of('process').filter((p) => p.node === node)) {
      const px = x(p.at);
      const py = y + 5;
      const shape =
        p.what === 'kill' || p.what === 'exit'
          ? `<path d="M${px - 4} ${py - 4}l8 8m0 -8l-8 8"/>`
          : p.what === 'stop'
            ? `<path d="M${px - 3} ${py - 4}v8m5 -8v8"/>`
            : p.what === 'cont'
              ? `<path d="M${px - 3} ${py - 4}l7 4l-7 4z"/>`
              : `<circle cx="${px}" cy="${py}" r="3"/>`;
      out.push(
        `<g class="process" data-what="${p.what}" data-node="${esc(node)}"><title>${esc(quoteEvent(p))}</title>${shape}</g>`,
      );
    }
    for (const { v, id } of violationAt.filter(({ v }) => v.nodes.includes(node))) {
      const vx = x(v.at);
      out.push(
        `<a href="#${id}"><g class="violation-mark" data-rule="${v.rule}"><title>${esc(`${v.rule}: ${v.message}`)}</title>` +
          `<line x1="${vx}" y1="${y}" x2="${vx}" y2="${y + LANE - 2}"/>` +
          `<path d="M${vx - 5} ${y}h10l-5 7z"/></g></a>`,
      );
    }
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('\n');
}
