import { CHARTED_PROTOCOLS } from '../diagram/protocol-charts.js';
import { oneOf, readFlags, single } from './flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export type DiagramFormat = 'mermaid' | 'svg' | 'json';

export interface DiagramConfig {
  protocol: string;
  format: DiagramFormat;
}

const DIAGRAM_FLAGS = { format: 'value' } as const;
const FORMATS = ['mermaid', 'svg', 'json'] as const;

/** `diagram PROTOCOL [--format mermaid|svg|json]`; the protocol may come after the flags. */
export function diagramConfig(args: readonly string[]): DiagramConfig {
  const positional: string[] = [];
  const flagArgs: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg.startsWith('-')) {
      flagArgs.push(arg);
      // A flag's separate value belongs to it, not to the positionals.
      if (!arg.includes('=') && args[i + 1] !== undefined && !args[i + 1]!.startsWith('-')) {
        flagArgs.push(args[++i]!);
      }
    } else {
      positional.push(arg);
    }
  }
  const flags = readFlags('diagram', flagArgs, DIAGRAM_FLAGS);
  const [protocol, extra] = positional;
  if (protocol === undefined) {
    throw new UsageError(`diagram needs a protocol (${CHARTED_PROTOCOLS.join(', ')})`);
  }
  if (extra !== undefined) throw new UsageError(`unexpected argument ${quote(extra)}`);
  if (!CHARTED_PROTOCOLS.includes(protocol)) {
    throw new UsageError(
      `diagram: protocol must be one of ${CHARTED_PROTOCOLS.join(', ')}, got ${quote(protocol)}`,
    );
  }
  const formatText = single(flags, 'format');
  const format =
    formatText === undefined
      ? 'mermaid'
      : oneOf('format', formatText, FORMATS, new Set(), 'format');
  return { protocol, format };
}
