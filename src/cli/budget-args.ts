import { checkStoreUrl } from '../../transports/kv/store-url.js';
import { KV_STORE_KINDS, type KvStoreKind } from '../budget/store-expiry-lag.js';
import type { BudgetInput } from '../budget/timing-budget.js';
import { timing as bullyTimingFlags } from './bully-args.js';
import {
  type FlagKind,
  type Flags,
  MAX_TIMER_MS,
  oneOf,
  refuseFlags,
  required,
  single,
  wholeNumber,
} from './flags.js';
import { ttl } from './kv-args.js';
import { loopRate } from './les-args.js';
import { quote } from './quote.js';
import { raftTimingFlags } from './raft-args.js';
import { UsageError } from './usage-error.js';

export interface BudgetConfig {
  input: BudgetInput;
  nodes: number;
  delayMs: number;
  json: boolean;
}

const RAFT = ['heartbeat', 'election-timeout', 'lease'];
const BULLY = ['announce', 'leader-timeout', 'answer-timeout', 'coordinator-timeout'];
const KV = ['ttl', 'store', 'expiry-lag'];
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
    case 'kv': {
      const store = single(flags, 'store');
      const lag = single(flags, 'expiry-lag');
      input = {
        protocol,
        options: { ttlMs: ttl(single(flags, 'ttl')) },
        ...(store === undefined ? {} : { store: storeKind(store) }),
        ...(lag === undefined
          ? {}
          : { expiryLagMs: wholeNumber('expiry-lag', lag, MAX_TIMER_MS, ' of milliseconds', 0) }),
      };
      break;
    }
    case 'les': {
      const rate = single(flags, 'loop-rate');
      input = { protocol, options: rate === undefined ? {} : { loopMs: loopRate(rate) } };
      break;
    }
  }
  return { input, nodes, delayMs, json: flags.has('json') };
}

/** A store's name, or the URL `electorate node --store` takes (only its kind matters here). */
function storeKind(text: string): KvStoreKind {
  if ((KV_STORE_KINDS as readonly string[]).includes(text)) return text as KvStoreKind;
  if (!text.includes('://')) {
    throw new UsageError(
      `--store must be ${KV_STORE_KINDS.join(', ')} or a store URL like etcd://HOST:PORT, got ${quote(text)}`,
    );
  }
  let scheme: ReturnType<typeof checkStoreUrl>['scheme'];
  try {
    scheme = checkStoreUrl(text).scheme;
  } catch (err) {
    throw new UsageError(`--store: ${(err as Error).message}`);
  }
  return scheme === 'zk' ? 'zookeeper' : scheme;
}

function compact<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
