import type { ChartEdge, Statechart } from './statechart.js';
import { type ChartLayout, layoutChart, type PlacedState } from './svg-layout.js';

/** Options of `toSvg`. */
export interface SvgOptions {
  /** Write each arrow's event and guard beside it (default true); always in its tooltip. */
  labels?: boolean;
}

interface Point {
  x: number;
  y: number;
}

const escapeXml = (text: string): string =>
  text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);

const center = (b: PlacedState): Point => ({ x: b.x + b.width / 2, y: b.y + b.height / 2 });

/** Where the ray from the box's centre toward `toward` leaves the box. */
function boundary(b: PlacedState, toward: Point): Point {
  const c = center(b);
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const scale = Math.min(
    dx === 0 ? Number.POSITIVE_INFINITY : b.width / 2 / Math.abs(dx),
    dy === 0 ? Number.POSITIVE_INFINITY : b.height / 2 / Math.abs(dy),
  );
  return { x: c.x + dx * scale, y: c.y + dy * scale };
}

const contains = (outer: string, inner: string): boolean => inner.startsWith(`${outer}.`);

const round = (n: number): number => Math.round(n * 10) / 10;

function arrowPath(
  from: PlacedState,
  to: PlacedState,
): { d: string; mid: Point; anchor?: 'start' } {
  if (from.state.id === to.state.id) {
    // A loop out of the box's right side, its label beyond it, clear of any header.
    const x = from.x + from.width;
    const y = from.y + from.height / 2;
    return {
      d: `M${x},${y - 6} C${x + 22},${y - 16} ${x + 22},${y + 16} ${x},${y + 6}`,
      mid: { x: x + 20, y: y + 3 },
      anchor: 'start',
    };
  }
  // From a parent's header when the source holds the target (a transition on the parent).
  const start = contains(from.state.id, to.state.id)
    ? { x: from.x + 8, y: from.y + 10 }
    : boundary(from, center(to));
  const end = boundary(to, start);
  // Bend every arrow a little to one side, so a pair of opposite arrows do not overlap.
  const mx = (start.x + end.x) / 2;
  const my = (start.y + end.y) / 2;
  const len = Math.hypot(end.x - start.x, end.y - start.y) || 1;
  const bend = Math.min(30, len / 4);
  const ctrl = {
    x: mx - ((end.y - start.y) / len) * bend,
    y: my + ((end.x - start.x) / len) * bend,
  };
  return {
    d: `M${round(start.x)},${round(start.y)} Q${round(ctrl.x)},${round(ctrl.y)} ${round(end.x)},${round(end.y)}`,
    mid: { x: (mx + ctrl.x) / 2, y: (my + ctrl.y) / 2 },
  };
}

function edgeLabel(edge: ChartEdge): string {
  return edge.guard === null ? edge.event : `${edge.event} [${edge.guard}]`;
}

const STYLE = `
.state{fill:#fff;stroke:#667;stroke-width:1.2}
.state.region{fill:none;stroke-dasharray:4 3}
.state.root{fill:#f6f7fb}
.name{font:12px sans-serif;fill:#223}
.edge{fill:none;stroke:#8a8fa8;stroke-width:1.1}
.label{font:9px sans-serif;fill:#556}
.active{fill:#ffe9a8;stroke:#c48a00;stroke-width:2}`;

function renderBoxes(layout: ChartLayout, chart: Statechart): string[] {
  const parts: string[] = [];
  for (const box of layout.boxes.values()) {
    const { state } = box;
    const parent = [...layout.boxes.values()].find(
      (b) => b.state.children.includes(state) && b.state.type === 'parallel',
    );
    const kind = state.id === chart.root.id ? ' root' : parent ? ' region' : '';
    const leaf = state.children.length === 0;
    parts.push(
      `<g data-state="${escapeXml(state.id)}"><rect class="state${kind}" data-state="${escapeXml(state.id)}" x="${box.x}" y="${box.y}" width="${box.width}" height="${box.height}" rx="${leaf ? 11 : 6}"/>` +
        `<text class="name" x="${leaf ? box.x + box.width / 2 : box.x + 8}" y="${leaf ? box.y + box.height / 2 + 4 : box.y + 14}"${leaf ? ' text-anchor="middle"' : ''}>${escapeXml(state.key)}</text></g>`,
    );
  }
  return parts;
}

/** A standalone SVG of the chart; every state box carries `data-state` with its dotted id. */
export function toSvg(chart: Statechart, options: SvgOptions = {}): string {
  const layout = layoutChart(chart);
  const margin = 28;
  const parts = renderBoxes(layout, chart);
  const arrows = new Map<string, ChartEdge[]>();
  for (const edge of chart.edges) {
    const key = `${edge.source}\u0000${edge.target}`;
    arrows.set(key, [...(arrows.get(key) ?? []), edge]);
  }
  for (const group of arrows.values()) {
    const from = layout.boxes.get(group[0]!.source);
    const to = layout.boxes.get(group[0]!.target);
    if (from === undefined || to === undefined) continue;
    const { d, mid, anchor } = arrowPath(from, to);
    const text = group.map(edgeLabel).join('; ');
    parts.push(
      `<path class="edge" d="${d}" marker-end="url(#arrow)"><title>${escapeXml(text)}</title></path>`,
    );
    if (options.labels !== false) {
      const events = [...new Set(group.map((e) => e.event))].join(', ');
      parts.push(
        `<text class="label" x="${round(mid.x)}" y="${round(mid.y)}" text-anchor="${anchor ?? 'middle'}">${escapeXml(events)}</text>`,
      );
    }
  }
  const w = layout.width + 2 * margin;
  const h = layout.height + 2 * margin;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="${-margin} ${-margin} ${w} ${h}" width="${w}" height="${h}" data-machine="${escapeXml(chart.id)}">`,
    `<style>${STYLE}</style>`,
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#8a8fa8"/></marker></defs>',
    ...parts,
    '</svg>',
    '',
  ].join('\n');
}
