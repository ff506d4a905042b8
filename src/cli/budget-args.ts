import type { BudgetInput } from '../timing-budget.js';
import { timing as bullyTimingFlags } from './bully-args.js';
import {
  type FlagKind,
  type Flags,
  oneOf,
  refuseFlags,
  required,
  single,
  wholeNumber,
} from './flags.js';
import { ttl } from './kv-args.js';
import { loopRate } from './les-args.js';
import { raftTimingFlags } from './raft-args.js';

export interface BudgetConfig {
  input: BudgetInput;
  nodes: number;
  delayMs: number;
  json: boolean;
}

const RAFT = ['heartbeat', 'election-timeout', 'lease'];
const BULLY = ['announce', 'leader-timeout', 'answer-timeout', 'coordinator-timeout'];
const KV = ['ttl'];
const LES = ['loop-rate'];

/** The timing flags `electorate node` takes, with the same names, plus the assumptions. */
export const BUDGET_FLAGS: Record<string, FlagKind> = {
  protocol: 'value',
  nodes: 'value',
  delay: 'value',
  json: 'switch',
  ...Object.fromEntries([...RAFT, ...BULLY, ...KV, ...LES].map((f) => [f, 'value' as const])),
};

const MAX_NODES = 10_000;
const MAX_DELAY_MS = 60_000;

export function budgetConfig(flags: Flags): BudgetConfig {
  const protocol = oneOf(
    'protocol',
    required(flags, 'protocol', '(raft, bully, les or kv)'),
    ['raft', 'bully', 'les', 'kv'] as const,
    new Set(),
    'protocol',
  );
  const others = { raft: RAFT, bully: BULLY, kv: KV, les: LES };
  for (const [name, list] of Object.entries(others)) {
    if (name !== protocol) refuseFlags(flags, list, `applies only to --protocol ${name}`);
  }
  const nodesText = single(flags, 'nodes');
  const delayText = single(flags, 'delay');
  const nodes = nodesText === undefined ? 3 : wholeNumber('nodes', nodesText, MAX_NODES, '');
  const delayMs =
    delayText === undefined ? 5 : wholeNumber('delay', delayText, MAX_DELAY_MS, ' milliseconds', 0);
  let input: BudgetInput;
  switch (protocol) {
    case 'raft':
      input = { protocol, options: compact(raftTimingFlags(flags)) };
      break;
    case 'bully':
      input = { protocol, options: bullyTimingFlags(flags) };
      break;
    case 'kv':
      input = { protocol, options: { ttlMs: ttl(single(flags, 'ttl')) } };
      break;
    case 'les': {
      const rate = single(flags, 'loop-rate');
      input = { protocol, options: rate === undefined ? {} : { loopMs: loopRate(rate) } };
      break;
    }
  }
  return { input, nodes, delayMs, json: flags.has('json') };
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
