import { type ChaosProtocol, NEMESES, type NemesisKind } from '../chaos/history.js';
import { nemesesFor } from '../chaos/schedule.js';
import { CHAOS_STORES, type ChaosStoreKind } from '../chaos/stores.js';
import {
  type FlagKind,
  type Flags,
  listItems,
  oneOf,
  required,
  single,
  wholeNumber,
} from './flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export interface ChaosConfig {
  protocol: ChaosProtocol;
  store?: ChaosStoreKind;
  nodes: number;
  seconds?: number;
  faults?: number;
  seed?: number;
  nemeses: NemesisKind[];
  out: string;
}

export const CHAOS_FLAGS: Record<string, FlagKind> = {
  protocol: 'value',
  store: 'value',
  nodes: 'value',
  seconds: 'value',
  faults: 'value',
  seed: 'value',
  nemesis: 'repeatable',
  out: 'value',
};

const PROTOCOLS = ['raft', 'bully', 'les', 'kv'] as const;
const MAX_NODES = 9;
// A day: long runs are meant to be long, not endless.
const MAX_SECONDS = 86_400;

export function chaosConfig(flags: Flags): ChaosConfig {
  const protocol = oneOf(
    'protocol',
    required(flags, 'protocol', '(raft, bully, les or kv)'),
    PROTOCOLS,
    new Set(),
    'protocol',
  );
  const storeText = single(flags, 'store');
  let store: ChaosStoreKind | undefined;
  if (protocol === 'kv') {
    const text = storeText ?? 'etcd';
    store = oneOf('store', text, CHAOS_STORES, new Set(), 'store');
  } else if (storeText !== undefined) {
    throw new UsageError('--store works only with --protocol kv');
  }
  const nodesText = single(flags, 'nodes');
  const nodes = nodesText === undefined ? 3 : wholeNumber('nodes', nodesText, MAX_NODES, '', 3);
  const secondsText = single(flags, 'seconds');
  const faultsText = single(flags, 'faults');
  if (secondsText !== undefined && faultsText !== undefined) {
    throw new UsageError('--seconds and --faults cannot both be given');
  }
  const seedText = single(flags, 'seed');
  const applicable = nemesesFor(protocol);
  const asked = listItems(flags, 'nemesis');
  for (const name of asked) {
    if (!(NEMESES as readonly string[]).includes(name)) {
      throw new UsageError(`--nemesis must name some of ${NEMESES.join(', ')}, got ${quote(name)}`);
    }
    if (!(applicable as string[]).includes(name)) {
      throw new UsageError(`--nemesis ${name} does not apply to --protocol ${protocol}`);
    }
  }
  return {
    protocol,
    ...(store === undefined ? {} : { store }),
    nodes,
    ...(secondsText === undefined
      ? {}
      : { seconds: wholeNumber('seconds', secondsText, MAX_SECONDS, ' of seconds') }),
    ...(faultsText === undefined ? {} : { faults: wholeNumber('faults', faultsText, 100_000, '') }),
    ...(seedText === undefined ? {} : { seed: wholeNumber('seed', seedText, 2 ** 31 - 1, '', 0) }),
    nemeses: asked.length === 0 ? applicable : [...new Set(asked as NemesisKind[])],
    out: single(flags, 'out') ?? 'electorate-chaos',
  };
}
