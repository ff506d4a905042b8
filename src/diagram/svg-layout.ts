import type { ChartEdge, ChartState, Statechart } from './statechart.js';

/** A placed state: its box in diagram coordinates. */
export interface PlacedState {
  state: ChartState;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface ChartLayout {
  width: number;
  height: number;
  boxes: Map<string, PlacedState>;
}

const CHAR_WIDTH = 7;
const LEAF_HEIGHT = 26;
const HEADER = 20;
const PAD = 18;
const GAP_X = 80;
const GAP_Y = 28;

interface Size {
  width: number;
  height: number;
  /** Room on the right for a loop back into this state and its label. */
  reserve: number;
}

const LABEL_CHAR_WIDTH = 5.2;

function loopReserve(state: ChartState, edges: readonly ChartEdge[]): number {
  const events = new Set(
    edges.filter((e) => e.source === state.id && e.target === state.id).map((e) => e.event),
  );
  if (events.size === 0) return 0;
  return 26 + [...events].join(', ').length * LABEL_CHAR_WIDTH;
}

/** The child of `parent` that holds `id` (or is it), if any. */
function childHolding(parent: ChartState, id: string): ChartState | undefined {
  return parent.children.find((c) => id === c.id || id.startsWith(`${c.id}.`));
}

/**
 * Columns for the children of a compound state: breadth-first distance from the initial
 * child along the transitions between them, so the diagram reads left to right in the
 * order states are usually reached. Children never reached go in a last column.
 */
function columnsOf(state: ChartState, edges: readonly ChartEdge[]): ChartState[][] {
  const depth = new Map<string, number>();
  const start = state.children.find((c) => c.key === state.initial) ?? state.children[0];
  if (start === undefined) return [];
  depth.set(start.id, 0);
  const queue = [start];
  while (queue.length > 0) {
    const from = queue.shift()!;
    for (const edge of edges) {
      if (!(edge.source === from.id || edge.source.startsWith(`${from.id}.`))) continue;
      const to = childHolding(state, edge.target);
      if (to === undefined || depth.has(to.id)) continue;
      depth.set(to.id, depth.get(from.id)! + 1);
      queue.push(to);
    }
  }
  const last = Math.max(...depth.values()) + 1;
  const columns: ChartState[][] = Array.from({ length: last + 1 }, () => []);
  for (const child of state.children) columns[depth.get(child.id) ?? last]!.push(child);
  return columns.filter((c) => c.length > 0);
}

function measure(state: ChartState, edges: readonly ChartEdge[], sizes: Map<string, Size>): Size {
  const label = state.key.length * CHAR_WIDTH + 2 * PAD;
  const reserve = loopReserve(state, edges);
  let size: Size;
  if (state.children.length === 0) {
    size = { width: Math.max(label, 60), height: LEAF_HEIGHT, reserve };
  } else if (state.type === 'parallel') {
    // Regions stack vertically, each as wide as the widest.
    const regions = state.children.map((c) => measure(c, edges, sizes));
    const width = Math.max(label, ...regions.map((r) => r.width + r.reserve)) + 2 * PAD;
    const height = HEADER + PAD + regions.reduce((s, r) => s + r.height + GAP_Y, 0);
    size = { width, height, reserve };
  } else {
    const columns = columnsOf(state, edges);
    let width = 0;
    let height = 0;
    for (const column of columns) {
      const cells = column.map((c) => measure(c, edges, sizes));
      width += Math.max(...cells.map((c) => c.width + c.reserve)) + GAP_X;
      height = Math.max(
        height,
        cells.reduce((s, c) => s + c.height + GAP_Y, -GAP_Y),
      );
    }
    size = {
      width: Math.max(label, width - GAP_X + 2 * PAD),
      height: HEADER + height + 2 * PAD,
      reserve,
    };
  }
  sizes.set(state.id, size);
  return size;
}

function place(
  state: ChartState,
  x: number,
  y: number,
  edges: readonly ChartEdge[],
  sizes: Map<string, Size>,
  boxes: Map<string, PlacedState>,
): void {
  const size = sizes.get(state.id)!;
  boxes.set(state.id, { state, x, y, width: size.width, height: size.height });
  if (state.children.length === 0) return;
  if (state.type === 'parallel') {
    let cy = y + HEADER + PAD;
    for (const region of state.children) {
      const r = sizes.get(region.id)!;
      sizes.set(region.id, { width: size.width - 2 * PAD, height: r.height, reserve: 0 });
      place(region, x + PAD, cy, edges, sizes, boxes);
      cy += r.height + GAP_Y;
    }
    return;
  }
  let cx = x + PAD;
  for (const column of columnsOf(state, edges)) {
    const colWidth = Math.max(
      ...column.map((c) => sizes.get(c.id)!.width + sizes.get(c.id)!.reserve),
    );
    let cy = y + HEADER + PAD;
    for (const child of column) {
      place(child, cx, cy, edges, sizes, boxes);
      cy += sizes.get(child.id)!.height + GAP_Y;
    }
    cx += colWidth + GAP_X;
  }
}

/** Nested boxes, each compound state's children in columns by distance from its initial. */
export function layoutChart(chart: Statechart): ChartLayout {
  const sizes = new Map<string, Size>();
  const size = measure(chart.root, chart.edges, sizes);
  const boxes = new Map<string, PlacedState>();
  place(chart.root, 0, 0, chart.edges, sizes, boxes);
  return { width: size.width + size.reserve, height: size.height, boxes };
}
