import { describe, expect, it } from 'vitest';
import { raftMachine } from '../../machines/raft/machine.js';
import type { LogSink } from '../../src/cli/change-log.js';
import { runDiagram } from '../../src/cli/diagram-command.js';
import { run } from '../../src/cli/main.js';
import { allStates, statechartOf, toMermaid } from '../../src/diagram/index.js';
import { CHARTED_PROTOCOLS, protocolChart } from '../../src/diagram/protocol-charts.js';

function sink(): LogSink & { out: (l: string) => void; lines: string[]; errors: string[] } {
  const lines: string[] = [];
  const errors: string[] = [];
  return { lines, errors, out: (l) => lines.push(l), err: (l) => errors.push(l) };
}

describe('electorate diagram', () => {
  it('prints the Mermaid of the machine the runtime runs', () => {
    const s = sink();
    expect(runDiagram({ protocol: 'raft', format: 'mermaid' }, s)).toBe(0);
    expect(s.lines.join('\n')).toBe(toMermaid(statechartOf(raftMachine)).trimEnd());
  });

  it('prints JSON with every state and transition, and an SVG with a box per state', () => {
    for (const protocol of CHARTED_PROTOCOLS) {
      const chart = protocolChart(protocol)!;
      const json = sink();
      expect(runDiagram({ protocol, format: 'json' }, json)).toBe(0);
      expect(JSON.parse(json.lines.join('\n'))).toEqual(JSON.parse(JSON.stringify(chart)));
      const svg = sink();
      expect(runDiagram({ protocol, format: 'svg' }, svg)).toBe(0);
      const text = svg.lines.join('\n');
      expect(text.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
      for (const state of allStates(chart.root)) {
        expect(text).toContain(`data-state="${state.id}"`);
      }
    }
  });

  it('exits 2 with one line for a protocol it does not know', async () => {
    const s = sink();
    expect(await run(['diagram', 'paxos'], s)).toBe(2);
    expect(s.errors).toEqual([
      `electorate: diagram: protocol must be one of ${CHARTED_PROTOCOLS.join(', ')}, got 'paxos'`,
    ]);
    expect(s.lines).toEqual([]);
  });
});
