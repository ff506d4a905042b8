/** The largest control message the dashboard socket accepts, in bytes. */
export const MAX_CONTROL_BYTES = 4096;

export type ControlCommand =
  | { type: 'kill'; node: string }
  | { type: 'restart'; node: string }
  | { type: 'resign'; node?: string }
  | { type: 'partition'; groups: string[][] }
  | { type: 'heal' }
  | { type: 'link'; from: string; to: string; loss: number; delayMs: number };

export type ControlType = ControlCommand['type'];

/** A command with the id the page gave it, echoed in the reply. */
export interface ControlRequest {
  ref: number | null;
  command: ControlCommand;
}

export class ControlError extends Error {
  constructor(
    message: string,
    readonly ref: number | null = null,
  ) {
    super(message);
    this.name = 'ControlError';
  }
}

const MAX_DELAY_MS = 10_000;

type Fields = Record<string, unknown>;

function onlyKeys(msg: Fields, allowed: readonly string[]): void {
  for (const key of Object.keys(msg)) {
    if (!allowed.includes(key)) throw new ControlError(`unexpected field ${JSON.stringify(key)}`);
  }
}

function nodeId(value: unknown, field: string, known: ReadonlySet<string>): string {
  if (typeof value !== 'string') throw new ControlError(`${field} must be a node id`);
  if (!known.has(value))
    throw new ControlError(`unknown node ${JSON.stringify(value.slice(0, 64))}`);
  return value;
}

function parseGroups(value: unknown, known: ReadonlySet<string>): string[][] {
  if (!Array.isArray(value) || value.length < 2 || value.length > known.size) {
    throw new ControlError('groups must be a list of at least two groups of node ids');
  }
  const seen = new Set<string>();
  return value.map((group) => {
    if (!Array.isArray(group) || group.length === 0) {
      throw new ControlError('each group must be a non-empty list of node ids');
    }
    return group.map((id) => {
      const checked = nodeId(id, 'groups', known);
      if (seen.has(checked)) throw new ControlError(`node ${checked} is in two groups`);
      seen.add(checked);
      return checked;
    });
  });
}

function parseNumber(value: unknown, field: string, max: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0 || value > max) {
    throw new ControlError(`${field} must be a number from 0 to ${max}`);
  }
  return value;
}

/**
 * Reads one control message: JSON within the size limit, a known command of `allowed`, only
 * that command's fields, and node ids that name members of the cluster. Throws ControlError.
 */
export function parseControl(
  raw: string,
  allowed: ReadonlySet<ControlType>,
  known: ReadonlySet<string>,
): ControlRequest {
  if (Buffer.byteLength(raw) > MAX_CONTROL_BYTES) throw new ControlError('message too large');
  let msg: unknown;
  try {
    msg = JSON.parse(raw);
  } catch {
    throw new ControlError('message is not JSON');
  }
  if (msg === null || typeof msg !== 'object' || Array.isArray(msg)) {
    throw new ControlError('message must be a JSON object');
  }
  const fields = msg as Fields;
  const ref =
    Number.isSafeInteger(fields.ref) && (fields.ref as number) >= 0 ? (fields.ref as number) : null;
  try {
    return { ref, command: parseCommand(fields, allowed, known) };
  } catch (err) {
    throw err instanceof ControlError ? new ControlError(err.message, ref) : err;
  }
}

function parseCommand(
  msg: Fields,
  allowed: ReadonlySet<ControlType>,
  known: ReadonlySet<string>,
): ControlCommand {
  const type = msg.type;
  if (typeof type !== 'string' || !allowed.has(type as ControlType)) {
    throw new ControlError(
      `unknown command ${JSON.stringify(typeof type === 'string' ? type.slice(0, 64) : (type ?? null))} (known: ${[...allowed].join(', ')})`,
    );
  }
  switch (type as ControlType) {
    case 'kill':
    case 'restart':
      onlyKeys(msg, ['type', 'ref', 'node']);
      return { type: type as 'kill' | 'restart', node: nodeId(msg.node, 'node', known) };
    case 'resign':
      onlyKeys(msg, ['type', 'ref', 'node']);
      return msg.node === undefined
        ? { type: 'resign' }
        : { type: 'resign', node: nodeId(msg.node, 'node', known) };
    case 'partition':
      onlyKeys(msg, ['type', 'ref', 'groups']);
      return { type: 'partition', groups: parseGroups(msg.groups, known) };
    case 'heal':
      onlyKeys(msg, ['type', 'ref']);
      return { type: 'heal' };
    case 'link': {
      onlyKeys(msg, ['type', 'ref', 'from', 'to', 'loss', 'delayMs']);
      const from = nodeId(msg.from, 'from', known);
      const to = nodeId(msg.to, 'to', known);
      if (from === to) throw new ControlError('a link joins two different nodes');
      return {
        type: 'link',
        from,
        to,
        loss: parseNumber(msg.loss ?? 0, 'loss', 1),
        delayMs: parseNumber(msg.delayMs ?? 0, 'delayMs', MAX_DELAY_MS),
      };
    }
  }
}
