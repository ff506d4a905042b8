import { toMermaid, toSvg } from '../diagram/index.js';
import { protocolChart } from '../diagram/protocol-charts.js';
import type { LogSink } from './change-log.js';
import type { DiagramConfig } from './diagram-args.js';

/** Prints a protocol's statechart, drawn from its machine definition. */
export function runDiagram(config: DiagramConfig, sink: LogSink): number {
  const chart = protocolChart(config.protocol);
  if (chart === undefined) {
    sink.err(`electorate: no statechart for ${config.protocol}`);
    return 1;
  }
  const text =
    config.format === 'json'
      ? JSON.stringify(chart, null, 2)
      : config.format === 'svg'
        ? toSvg(chart)
        : toMermaid(chart);
  sink.out(text.trimEnd());
  return 0;
}
