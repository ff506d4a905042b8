import { type Flags, oneOf, single, wholeNumber } from './flags.js';

export type DemoProtocol = 'raft' | 'bully' | 'les' | 'kv' | 'entropy';

export interface DemoConfig {
  protocol: DemoProtocol;
  nodes: number;
  /** Dashboard port on 127.0.0.1 (0: any free one). */
  port: number;
  /** Open the dashboard in the system browser. */
  open: boolean;
  /** Where the token that guards the dashboard socket and POST /resign is kept. */
  httpTokenFile: string | undefined;
}

export const DEMO_FLAGS = {
  protocol: 'value',
  nodes: 'value',
  port: 'value',
  open: 'switch',
  'http-token-file': 'value',
} as const;

const DEMO_PROTOCOLS = ['raft', 'bully', 'les', 'kv', 'entropy'] as const;
export const MAX_DEMO_NODES = 25;
const DEFAULT_NODES = 5;

export function demoConfig(flags: Flags): DemoConfig {
  const protocolText = single(flags, 'protocol') ?? 'raft';
  const protocol = oneOf('protocol', protocolText, DEMO_PROTOCOLS, new Set(), 'protocol');
  const nodesText = single(flags, 'nodes');
  const portText = single(flags, 'port');
  return {
    protocol,
    nodes:
      nodesText === undefined ? DEFAULT_NODES : wholeNumber('nodes', nodesText, MAX_DEMO_NODES, ''),
    port: portText === undefined ? 0 : wholeNumber('port', portText, 65535, '', 0),
    open: flags.has('open'),
    httpTokenFile: single(flags, 'http-token-file'),
  };
}
