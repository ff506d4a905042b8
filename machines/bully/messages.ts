/**
 * The Bully election's three messages. Each carries the sender's priority: `pid` (an
 * unsigned 64-bit integer in decimal, no leading zeros) and `address` (the address peers
 * should reach the sender at; an IPv4 address in dotted form on multibully's wire).
 */
export type BullyKind = 'election' | 'ok' | 'coordinator';

/** A Bully message: its kind and the sender's priority. */
export interface BullyMessage {
  type: BullyKind;
  pid: string;
  address: string;
}

const MAX_UINT64 = 18446744073709551615n;
const MAX_ADDRESS_CHARS = 255;

/** Whether `pid` is a canonical decimal unsigned 64-bit integer. */
export function isPid(pid: unknown): pid is string {
  if (typeof pid !== 'string' || !/^(0|[1-9][0-9]{0,19})$/.test(pid)) return false;
  return BigInt(pid) <= MAX_UINT64;
}

/**
 * Validates an inbound Bully message; returns it typed, or undefined when it does not fit the
 * schema.
 */
export function decodeBullyMessage(raw: unknown): BullyMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  if (m.type !== 'election' && m.type !== 'ok' && m.type !== 'coordinator') return undefined;
  if (!isPid(m.pid)) return undefined;
  if (typeof m.address !== 'string' || m.address.length === 0) return undefined;
  if (m.address.length > MAX_ADDRESS_CHARS) return undefined;
  return { type: m.type, pid: m.pid, address: m.address };
}
