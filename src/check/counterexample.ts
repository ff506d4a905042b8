import type { CheckBounds } from '../../machines/protocol-model.js';
import { describeMessage } from '../../machines/protocol-model.js';
import { type CheckStep, describeStep, describeTimer } from './steps.js';

/**
 * A violated invariant and the shortest path that breaks it, as written to a file for
 * `electorate check --replay`.
 */
export interface Counterexample {
  /** The shipped protocol model it was found in (the name a replay looks up). */
  protocol: string;
  bounds: CheckBounds;
  /** The nodes' ids, when the model names them otherwise than n1…nN. */
  ids?: string[];
  invariant: string;
  message: string;
  steps: CheckStep[];
}

export const COUNTEREXAMPLE_FORMAT = 'electorate-counterexample/1';

/** A counterexample as the JSON `electorate check --out` writes and `--replay` reads. */
export function counterexampleJson(c: Counterexample): string {
  return `${JSON.stringify({ format: COUNTEREXAMPLE_FORMAT, ...c }, null, 2)}\n`;
}

/** Reads a counterexample file's text; throws a TypeError saying what is wrong. */
export function parseCounterexample(text: string): Counterexample {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    throw new TypeError(`not JSON: ${(err as Error).message}`);
  }
  if (typeof raw !== 'object' || raw === null) throw new TypeError('not a counterexample object');
  const c = raw as Record<string, unknown>;
  if (c.format !== COUNTEREXAMPLE_FORMAT) {
    throw new TypeError(`format must be ${COUNTEREXAMPLE_FORMAT}, got ${JSON.stringify(c.format)}`);
  }
  if (typeof c.protocol !== 'string') throw new TypeError('protocol must be a string');
  if (typeof c.invariant !== 'string') throw new TypeError('invariant must be a string');
  if (typeof c.bounds !== 'object' || c.bounds === null) throw new TypeError('bounds missing');
  if (!Array.isArray(c.steps) || !c.steps.every(isStep)) {
    throw new TypeError('steps must be a list of steps');
  }
  const ids =
    Array.isArray(c.ids) && c.ids.every((id) => typeof id === 'string') ? { ids: c.ids } : {};
  return {
    protocol: c.protocol,
    bounds: c.bounds as CheckBounds,
    ...ids,
    invariant: c.invariant,
    message: typeof c.message === 'string' ? c.message : '',
    steps: c.steps as CheckStep[],
  };
}

function isStep(v: unknown): boolean {
  if (typeof v !== 'object' || v === null) return false;
  const s = v as Record<string, unknown>;
  switch (s.kind) {
    case 'deliver':
    case 'drop':
    case 'duplicate':
      return typeof s.from === 'string' && typeof s.to === 'string' && 'msg' in s;
    case 'timer':
      return typeof s.node === 'string' && typeof s.timer === 'string';
    case 'crash':
    case 'restart':
      return typeof s.node === 'string';
    case 'tick':
      return true;
    default:
      return false;
  }
}

/** Numbered steps, one per line, then the violation. */
export function formatSteps(c: Counterexample, describe = describeMessage): string {
  const width = String(c.steps.length).length;
  const lines = c.steps.map(
    (s, i) => `${String(i + 1).padStart(width)}. ${describeStep(s, describe)}`,
  );
  if (lines.length === 0) lines.push('(the initial state)');
  return [...lines, `violated: ${c.invariant}: ${c.message}`].join('\n');
}

/** The same path as a Mermaid sequence diagram; ticks are folded into notes of elapsed time. */
export function mermaidDiagram(c: Counterexample, describe = describeMessage): string {
  const ids = c.ids ?? Array.from({ length: c.bounds.nodes }, (_, i) => `n${i + 1}`);
  // Ids that are not plain words (host:port, say) appear through aliases p1…pN.
  const plain = ids.every((id) => /^[A-Za-z][A-Za-z0-9_]*$/.test(id));
  const alias = new Map(ids.map((id, i) => [id, plain ? id : `p${i + 1}`]));
  const nodes = ids.map((id) => alias.get(id)!);
  const hasEnv = c.steps.some((s) => 'from' in s && s.from === 'env');
  const lines = ['sequenceDiagram'];
  if (hasEnv) lines.push('  participant env');
  for (const id of ids) {
    lines.push(plain ? `  participant ${id}` : `  participant ${alias.get(id)} as ${id}`);
  }
  const who = (id: string) => alias.get(id) ?? id;
  const text = (s: string) => s.replace(/[;#]/g, ' ');
  let ticks = 0;
  const flush = () => {
    if (ticks === 0) return;
    lines.push(`  Note over ${nodes[0]},${nodes[nodes.length - 1]}: clock +${ticks}`);
    ticks = 0;
  };
  c.steps.forEach((s, i) => {
    if (s.kind === 'tick') {
      ticks++;
      return;
    }
    flush();
    const n = i + 1;
    switch (s.kind) {
      case 'deliver':
        lines.push(`  ${who(s.from)}->>${who(s.to)}: ${n}. ${text(describe(s.msg))}`);
        break;
      case 'drop':
        lines.push(`  ${who(s.from)}-x${who(s.to)}: ${n}. lost ${text(describe(s.msg))}`);
        break;
      case 'duplicate':
        lines.push(
          `  Note over ${who(s.from)},${who(s.to)}: ${n}. copied ${text(describe(s.msg))}`,
        );
        break;
      case 'timer':
        lines.push(`  Note over ${who(s.node)}: ${n}. ${text(describeTimer(s.timer, s.event))}`);
        break;
      case 'crash':
      case 'restart':
        lines.push(`  Note over ${who(s.node)}: ${n}. ${s.kind}`);
        break;
    }
  });
  flush();
  lines.push(`  Note over ${nodes[0]},${nodes[nodes.length - 1]}: violated - ${text(c.invariant)}`);
  return lines.join('\n');
}
