import { BUDGET_FLAGS, type BudgetConfig, budgetConfig } from './budget-args.js';
import type { BullyNodeConfig } from './bully-args.js';
import { CHAOS_FLAGS, type ChaosConfig, chaosConfig } from './chaos-args.js';
import { type CheckConfig, checkConfig } from './check-args.js';
import { DEMO_FLAGS, type DemoConfig, demoConfig } from './demo-args.js';
import { type DiagramConfig, diagramConfig } from './diagram-args.js';
import { ELECT_FLAGS, type ElectConfig, electConfig } from './elect-args.js';
import { type FlagKind, type Flags, oneOf, readFlags, required } from './flags.js';
import type { KvNodeConfig } from './kv-args.js';
import type { LesNodeConfig } from './les-args.js';
import { COMMON_NODE_FLAGS } from './node-flags.js';
import { NODE_PROTOCOLS } from './node-protocols.js';
import { quote } from './quote.js';
import type { RaftNodeConfig } from './raft-args.js';
import { UsageError } from './usage-error.js';

export type { BudgetConfig } from './budget-args.js';
export type { BullyNodeConfig, StreamLink, UdpLink } from './bully-args.js';
export type { ChaosConfig } from './chaos-args.js';
export type { CheckConfig } from './check-args.js';
export type { DemoConfig } from './demo-args.js';
export type { ElectConfig } from './elect-args.js';
export type { KvNodeConfig } from './kv-args.js';
export type { LesNodeConfig } from './les-args.js';
export type { LogFormat, TlsFiles, TransportName } from './node-flags.js';
export type { RaftNodeConfig } from './raft-args.js';

export type NodeConfig = RaftNodeConfig | BullyNodeConfig | LesNodeConfig | KvNodeConfig;

export type CliCommand =
  | { command: 'help' }
  | { command: 'version' }
  | { command: 'node'; config: NodeConfig }
  | { command: 'demo'; config: DemoConfig }
  | { command: 'diagram'; config: DiagramConfig }
  | { command: 'check'; config: CheckConfig }
  | { command: 'chaos'; config: ChaosConfig }
  | { command: 'budget'; config: BudgetConfig }
  | { command: 'elect'; config: ElectConfig };

// Every protocol's flags are read first; each protocol then refuses the others' by name,
// which says more than "unknown flag".
const NODE_FLAGS: Record<string, FlagKind> = Object.assign(
  { ...COMMON_NODE_FLAGS },
  ...Object.values(NODE_PROTOCOLS).map((p) => p.flags),
);

/** Parses the command line (without the node and script paths). Throws UsageError. */
export function parseArgs(argv: readonly string[]): CliCommand {
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h') return { command: 'help' };
  if (first === '--version') {
    if (rest[0] !== undefined) throw new UsageError(`unexpected argument ${quote(rest[0])}`);
    return { command: 'version' };
  }
  if (rest.includes('--help') || rest.includes('-h')) return { command: 'help' };
  switch (first) {
    case 'node':
      return { command: 'node', config: nodeConfig(readFlags('node', rest, NODE_FLAGS)) };
    case 'demo':
      return { command: 'demo', config: demoConfig(readFlags('demo', rest, DEMO_FLAGS)) };
    case 'elect':
      return { command: 'elect', config: electConfig(readFlags('elect', rest, ELECT_FLAGS)) };
    case 'diagram':
      return { command: 'diagram', config: diagramConfig(rest) };
    case 'check':
      return { command: 'check', config: checkConfig(rest) };
    case 'chaos':
      return { command: 'chaos', config: chaosConfig(readFlags('chaos', rest, CHAOS_FLAGS)) };
    case 'budget':
      return { command: 'budget', config: budgetConfig(readFlags('budget', rest, BUDGET_FLAGS)) };
  }
  if (first.startsWith('-')) {
    throw new UsageError(`unknown flag ${quote(first)} (see electorate --help)`);
  }
  throw new UsageError(`unknown command ${quote(first)} (see electorate --help)`);
}

function nodeConfig(flags: Flags): NodeConfig {
  const names = Object.keys(NODE_PROTOCOLS) as NodeConfig['protocol'][];
  const protocol = oneOf(
    'protocol',
    required(flags, 'protocol', `(${names.slice(0, -1).join(', ')} or ${names.at(-1)})`),
    names,
    new Set(),
    'protocol',
  );
  return NODE_PROTOCOLS[protocol].config(flags);
}
