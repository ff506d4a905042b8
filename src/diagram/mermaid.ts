import type { ChartEdge, ChartState, Statechart } from './statechart.js';

/** Mermaid ids share one namespace and allow no dots, so a state's path becomes its id. */
function mermaidId(id: string): string {
  return id.replace(/[^A-Za-z0-9_]/g, '_');
}

function edgeText(edge: ChartEdge): string {
  const text = edge.guard === null ? edge.event : `${edge.event} [${edge.guard}]`;
  // Mermaid ends a label at a newline and reads ':' and ';' as syntax.
  return text.replace(/[:;\n]/g, ' ');
}

function renderState(state: ChartState, indent: string, lines: string[]): void {
  const id = mermaidId(state.id);
  if (state.children.length === 0) {
    lines.push(`${indent}state "${state.key}" as ${id}`);
    return;
  }
  lines.push(`${indent}state "${state.key}" as ${id} {`);
  renderChildren(state, `${indent}  `, lines);
  lines.push(`${indent}}`);
}

function renderChildren(state: ChartState, indent: string, lines: string[]): void {
  if (state.type === 'parallel') {
    state.children.forEach((region, i) => {
      if (i > 0) lines.push(`${indent}--`);
      renderState(region, indent, lines);
    });
    return;
  }
  if (state.initial !== null) {
    lines.push(`${indent}[*] --> ${mermaidId(`${state.id}.${state.initial}`)}`);
  }
  for (const child of state.children) renderState(child, indent, lines);
}

/** A Mermaid `stateDiagram-v2` of the chart: nested states, parallel regions, labelled arrows. */
export function toMermaid(chart: Statechart): string {
  const lines = ['stateDiagram-v2'];
  renderChildren(chart.root, '  ', lines);
  // A transition on the machine itself applies in every state.
  if (chart.edges.some((e) => e.source === chart.root.id)) {
    lines.push(`  state "any state" as ${mermaidId(chart.root.id)}`);
  }
  for (const edge of chart.edges) {
    lines.push(`  ${mermaidId(edge.source)} --> ${mermaidId(edge.target)}: ${edgeText(edge)}`);
  }
  return `${lines.join('\n')}\n`;
}
