import { formatHostPort, parseHostPort } from '../../transports/address.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

export type FlagKind = 'value' | 'repeatable' | 'switch';

/** Flag name to the values given, in order; a switch that is present maps to ['']. */
export type Flags = Map<string, string[]>;

// setTimeout turns anything longer into 1 ms (with only a warning).
export const MAX_TIMER_MS = 2 ** 31 - 1;
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const BULLY_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;

export function readFlags(
  command: string,
  args: readonly string[],
  spec: Record<string, FlagKind>,
): Flags {
  const flags: Flags = new Map();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (!arg.startsWith('--') || arg === '--') {
      const what = arg.startsWith('-') && arg !== '-' ? 'flag' : 'argument';
      throw new UsageError(
        what === 'flag'
          ? `unknown flag ${quote(arg)} for '${command}' (see electorate --help)`
          : `unexpected argument ${quote(arg)}`,
      );
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (kind === undefined) {
      throw new UsageError(
        `unknown flag ${quote(`--${name}`)} for '${command}' (see electorate --help)`,
      );
    }
    let value: string;
    if (kind === 'switch') {
      if (eq >= 0) throw new UsageError(`--${name} takes no value`);
      value = '';
    } else if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--'))
        throw new UsageError(`--${name} needs a value`);
      value = next;
      i++;
    }
    if (kind !== 'switch' && value === '') throw new UsageError(`--${name} needs a value`);
    const seen = flags.get(name);
    if (seen === undefined) flags.set(name, [value]);
    else if (kind === 'repeatable') seen.push(value);
    else throw new UsageError(`--${name} is given more than once`);
  }
  return flags;
}

/** Fails on the first of `names` that is present, saying why it does not belong. */
export function refuseFlags(flags: Flags, names: readonly string[], why: string): void {
  for (const name of names) {
    if (flags.has(name)) throw new UsageError(`--${name} ${why}`);
  }
}

export function single(flags: Flags, name: string): string | undefined {
  return flags.get(name)?.[0];
}

export function required(flags: Flags, name: string, what: string): string {
  const value = single(flags, name);
  if (value === undefined) throw new UsageError(`missing --${name} ${what}`);
  return value;
}

/** Comma lists may be split over repeated flags; empty items are mistakes, not padding. */
export function listItems(flags: Flags, name: string): string[] {
  const items: string[] = [];
  for (const value of flags.get(name) ?? []) {
    for (const item of value.split(',')) {
      const trimmed = item.trim();
      if (trimmed === '') throw new UsageError(`--${name} has an empty entry in ${quote(value)}`);
      items.push(trimmed);
    }
  }
  return items;
}

export function wholeNumber(
  flag: string,
  text: string,
  max: number,
  unit: string,
  min = 1,
): number {
  if (!/^[0-9]+$/.test(text)) {
    throw new UsageError(`--${flag} must be a whole number${unit}, got ${quote(text)}`);
  }
  const value = Number(text);
  if (value < min || value > max) {
    throw new UsageError(`--${flag} must be between ${min} and ${max}${unit}, got ${quote(text)}`);
  }
  return value;
}

export function milliseconds(flag: string, text: string): number {
  return wholeNumber(flag, text, MAX_TIMER_MS, ' of milliseconds');
}

/** Checks HOST:PORT and returns a canonical form for comparing addresses. */
export function hostPort(flag: string, text: string): string {
  try {
    const parsed = parseHostPort(text);
    return formatHostPort({ host: parsed.host.toLowerCase(), port: parsed.port });
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/**
 * A member id as written on the command line. Bully ids may also hold ':', so that the
 * ADDRESS:PID form (how multibully peers are told apart) can be written out.
 */
export function memberId(flag: string, text: string, colons = false): string {
  if (!(colons ? BULLY_ID_PATTERN : ID_PATTERN).test(text)) {
    const chars = colons ? "'.', '_', ':'" : "'.', '_'";
    throw new UsageError(
      `${flag}: id ${quote(text)} must be 1-64 letters, digits, ${chars} or '-', starting with a letter or digit`,
    );
  }
  return text;
}

export function oneOf<T extends string>(
  flag: string,
  text: string,
  allowed: readonly T[],
  planned: ReadonlySet<string>,
  noun: string,
): T {
  if ((allowed as readonly string[]).includes(text)) return text as T;
  if (planned.has(text)) throw new UsageError(`${noun} ${quote(text)} is not available yet`);
  throw new UsageError(`--${flag} must be one of ${allowed.join(', ')}, got ${quote(text)}`);
}
