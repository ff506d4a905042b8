import type { CheckBounds } from '../../machines/protocol-model.js';
import { PROTOCOL_MODELS } from '../check/protocol-models.js';
import { type FlagKind, type Flags, readFlags, single, wholeNumber } from './flags.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export type CheckConfig =
  | {
      mode: 'explore';
      protocol: string;
      bounds: Partial<CheckBounds>;
      out?: string;
      /** Threads to explore with (1: one, deterministic; default every core). */
      workers?: number;
      /** Turn every reduction but symmetry off. */
      exact?: boolean;
    }
  | { mode: 'replay'; file: string };

export const CHECK_FLAGS: Record<string, FlagKind> = {
  nodes: 'value',
  'max-term': 'value',
  'max-faults': 'value',
  'max-in-flight': 'value',
  'max-states': 'value',
  drift: 'value',
  timed: 'switch',
  exact: 'switch',
  workers: 'value',
  out: 'value',
  replay: 'value',
};

/** The most threads `--workers` takes. */
export const MAX_WORKERS = 64;

const BOUND_FLAGS: [string, keyof CheckBounds, number, number][] = [
  ['nodes', 'nodes', 1, 7],
  ['max-term', 'maxTerm', 0, 100],
  ['max-faults', 'maxFaults', 0, 20],
  ['max-in-flight', 'maxInFlight', 0, 100],
  ['max-states', 'maxStates', 1, 1_000_000_000],
  ['drift', 'drift', 0, 100],
];

/** `check PROTOCOL [bounds] [--out FILE]` or `check --replay FILE`. */
export function checkConfig(args: readonly string[]): CheckConfig {
  const first = args[0];
  const positional = first !== undefined && !first.startsWith('-') ? first : undefined;
  const flags = readFlags('check', positional === undefined ? args : args.slice(1), CHECK_FLAGS);
  const file = single(flags, 'replay');
  if (file !== undefined) {
    const extra = [...flags.keys()].find((name) => name !== 'replay');
    if (positional !== undefined) {
      throw new UsageError(
        `--replay takes no protocol (it is in the file), got ${quote(positional)}`,
      );
    }
    if (extra !== undefined) throw new UsageError(`--replay takes no other flags, got --${extra}`);
    return { mode: 'replay', file };
  }
  const names = Object.keys(PROTOCOL_MODELS);
  if (positional === undefined) {
    throw new UsageError(`missing protocol to check (${names.join(', ')})`);
  }
  if (!names.includes(positional)) {
    throw new UsageError(`no model of protocol ${quote(positional)} (${names.join(', ')})`);
  }
  const out = single(flags, 'out');
  const workers = single(flags, 'workers');
  return {
    mode: 'explore',
    protocol: positional,
    bounds: bounds(flags),
    ...(out === undefined ? {} : { out }),
    ...(workers === undefined ? {} : { workers: wholeNumber('workers', workers, MAX_WORKERS, '') }),
    ...(flags.has('exact') ? { exact: true } : {}),
  };
}

function bounds(flags: Flags): Partial<CheckBounds> {
  const b: Partial<CheckBounds> = {};
  for (const [flag, key, min, max] of BOUND_FLAGS) {
    const text = single(flags, flag);
    if (text !== undefined)
      (b as Record<string, number>)[key] = wholeNumber(flag, text, max, '', min);
  }
  if (flags.has('timed')) b.timed = true;
  return b;
}
