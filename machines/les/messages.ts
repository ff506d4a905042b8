/**
 * Messages of Leader Election by Seniority. The machine speaks in requests and answers so
 * that it runs the same over the simulator's network and over HTTP, where a state request
 * to X is `GET http://X/state/<own address>` and its answer is the response body.
 *
 * Addresses are `host:port` strings exactly as nodes advertise them; they are also the
 * members' ids.
 */

/** A node's state as the reference implementation serves it at `GET /state`. */
export interface LesState {
  members: string[];
  /** The leader's address, or false before this node has elected. */
  leader: string | false;
  /** Seconds since the epoch, a float: when the node started. The smallest leads. */
  start_time: number;
}

/**
 * What an LES machine hears from its transport: state requests and answers, pings, pushes and
 * failures.
 */
export type LesMessage =
  /** Asks for the receiver's state; with `join`, the sender also asks to become a member. */
  | { type: 'state-request'; rid: number; join: boolean; diag?: boolean }
  /** The answer to a state request (`memberStates` only when the request asked for diag). */
  | { type: 'state'; rid: number; state: LesState; memberStates?: Record<string, LesState> }
  /** A state sent without being asked (over WebSocket between electorate nodes). */
  | { type: 'push'; state: LesState }
  | { type: 'ping'; rid: number }
  | { type: 'pong'; rid: number }
  /**
   * The transport could not reach the peer: the request `rid` failed (refused, timed out,
   * bad answer), or, without `rid`, an open push connection to the peer closed.
   */
  | { type: 'unreachable'; rid?: number };

export type LesKind = LesMessage['type'];

/** Longest address accepted: a DNS name (253) plus a port. */
export const MAX_ADDRESS_CHARS = 260;
/** Most members a state may list; a longer list is not a state this project would send. */
export const MAX_LISTED_MEMBERS = 1024;

const HOSTNAME =
  /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/;
const IPV6_CHARS = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * Whether `address` has the shape `host:port` or `[ipv6]:port`: a DNS name or an IP
 * literal, and a port from 1 to 65535. Nothing is resolved; this is about shape only.
 */
export function isLesAddress(address: unknown): address is string {
  if (typeof address !== 'string' || address.length < 3 || address.length > MAX_ADDRESS_CHARS) {
    return false;
  }
  let host: string;
  let port: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0 || address[close + 1] !== ':') return false;
    host = address.slice(1, close);
    port = address.slice(close + 2);
    if (!IPV6_CHARS.test(host) || !host.includes(':')) return false;
  } else {
    const colon = address.lastIndexOf(':');
    if (colon <= 0) return false;
    host = address.slice(0, colon);
    port = address.slice(colon + 1);
    if (!HOSTNAME.test(host)) return false;
  }
  if (!/^[1-9][0-9]{0,4}$/.test(port)) return false;
  return Number(port) <= 65535;
}

const isRid = (rid: unknown): rid is number =>
  typeof rid === 'number' && Number.isSafeInteger(rid) && rid >= 0;

/**
 * A state as received from anyone. Member entries that are not addresses are left out
 * rather than refusing the whole state: a reference node lists whatever answered its ping.
 */
export function decodeLesState(raw: unknown): LesState | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const s = raw as Record<string, unknown>;
  if (!Array.isArray(s.members) || s.members.length > MAX_LISTED_MEMBERS) return undefined;
  if (s.leader !== false && !isLesAddress(s.leader)) return undefined;
  // No node starts before the epoch; a negative claim would outrank every real one.
  if (typeof s.start_time !== 'number' || !Number.isFinite(s.start_time)) return undefined;
  if (s.start_time < 0) return undefined;
  const members = [...new Set(s.members.filter(isLesAddress))];
  return { members, leader: s.leader, start_time: s.start_time };
}

function decodeMemberStates(raw: unknown): Record<string, LesState> | undefined {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return undefined;
  const out: Record<string, LesState> = {};
  for (const [address, value] of Object.entries(raw)) {
    const state = decodeLesState(value);
    if (!isLesAddress(address) || state === undefined) return undefined;
    out[address] = state;
  }
  return out;
}

/**
 * Validates an inbound LES message; returns it typed, or undefined when it does not fit the schema.
 */
export function decodeLesMessage(raw: unknown): LesMessage | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const m = raw as Record<string, unknown>;
  switch (m.type) {
    case 'state-request':
      if (!isRid(m.rid) || typeof m.join !== 'boolean') return undefined;
      if (m.diag !== undefined && typeof m.diag !== 'boolean') return undefined;
      return { type: m.type, rid: m.rid, join: m.join, ...(m.diag === true ? { diag: true } : {}) };
    case 'state': {
      const state = decodeLesState(m.state);
      if (!isRid(m.rid) || state === undefined) return undefined;
      if (m.memberStates === undefined) return { type: m.type, rid: m.rid, state };
      const memberStates = decodeMemberStates(m.memberStates);
      return memberStates === undefined
        ? undefined
        : { type: m.type, rid: m.rid, state, memberStates };
    }
    case 'push': {
      const state = decodeLesState(m.state);
      return state === undefined ? undefined : { type: m.type, state };
    }
    case 'ping':
    case 'pong':
      return isRid(m.rid) ? { type: m.type, rid: m.rid } : undefined;
    case 'unreachable':
      if (m.rid === undefined) return { type: m.type };
      return isRid(m.rid) ? { type: m.type, rid: m.rid } : undefined;
    default:
      return undefined;
  }
}

/** A rule's host part and, when it names one, its port: `HOST:PORT`, `[IPV6]:PORT`, `CIDR:PORT`. */
function splitRule(rule: string): { base: string; port: string | undefined } | undefined {
  let base = rule;
  let port: string | undefined;
  if (rule.startsWith('[')) {
    const close = rule.indexOf(']');
    if (close < 0) return undefined;
    base = rule.slice(1, close);
    const rest = rule.slice(close + 1);
    if (rest !== '') {
      if (!rest.startsWith(':')) return undefined;
      port = rest.slice(1);
    }
  } else if (rule.indexOf(':') >= 0 && rule.indexOf(':') === rule.lastIndexOf(':')) {
    // One colon is a port; more are an IPv6 address written without brackets.
    base = rule.slice(0, rule.indexOf(':'));
    port = rule.slice(rule.indexOf(':') + 1);
  }
  if (port !== undefined && (!/^[1-9][0-9]{0,4}$/.test(port) || Number(port) > 65535)) {
    return undefined;
  }
  return { base, port };
}

/**
 * Which addresses may become members: each rule is a host name (compared without case), an
 * IP address, or an IP network in CIDR form (which matches IP literals only; names are not
 * resolved), and may name a port too (`10.0.0.5:7000`, `[::1]:7000`, `10.0.0.0/8:7000`);
 * without one, any port of that host matches. An empty rule list allows everyone.
 */
export function allowsMember(rules: readonly string[], address: string): boolean {
  if (rules.length === 0) return true;
  const host = hostOf(address).toLowerCase();
  const port = address.slice(address.lastIndexOf(':') + 1);
  const ip = parseIp(host);
  for (const given of rules) {
    const split = splitRule(given);
    if (split === undefined || (split.port !== undefined && split.port !== port)) continue;
    const rule = split.base;
    const slash = rule.indexOf('/');
    if (slash < 0) {
      const ruleIp = parseIp(rule.toLowerCase());
      if (ruleIp !== undefined && ip !== undefined) {
        if (ruleIp.length === ip.length && ruleIp.every((b, i) => b === ip[i])) return true;
      } else if (rule.toLowerCase() === host) return true;
      continue;
    }
    const net = parseIp(rule.slice(0, slash));
    const bits = Number(rule.slice(slash + 1));
    if (net === undefined || ip === undefined || net.length !== ip.length) continue;
    if (prefixMatches(net, ip, bits)) return true;
  }
  return false;
}

/** Whether `rule` is something allowsMember understands. */
export function isMemberRule(given: string): boolean {
  const split = splitRule(given);
  if (split === undefined) return false;
  const rule = split.base;
  const slash = rule.indexOf('/');
  if (slash < 0) return parseIp(rule) !== undefined || HOSTNAME.test(rule);
  const net = parseIp(rule.slice(0, slash));
  const bitsText = rule.slice(slash + 1);
  if (net === undefined || !/^[0-9]{1,3}$/.test(bitsText)) return false;
  return Number(bitsText) <= net.length * 8;
}

/** The host part of an address, without IPv6 brackets. */
export function hostOf(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  return address.slice(0, address.lastIndexOf(':'));
}

function prefixMatches(net: number[], ip: number[], bits: number): boolean {
  for (let i = 0; i < net.length && bits > 0; i++, bits -= 8) {
    const mask = bits >= 8 ? 0xff : (0xff << (8 - bits)) & 0xff;
    if ((net[i]! & mask) !== (ip[i]! & mask)) return false;
  }
  return true;
}

function parseIpv4(text: string): number[] | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const bytes = parts.map((p) => (/^(0|[1-9][0-9]{0,2})$/.test(p) ? Number(p) : 256));
  return bytes.every((b) => b <= 255) ? bytes : undefined;
}

/** An IPv4 (4 bytes) or IPv6 (16 bytes) literal as bytes; IPv4-mapped IPv6 stays 16. */
function parseIp(text: string): number[] | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return v4;
  if (!text.includes(':') || !IPV6_CHARS.test(text)) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): number[] | undefined => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (const [i, item] of items.entries()) {
      if (i === items.length - 1 && item.includes('.')) {
        const tail = parseIpv4(item);
        if (tail === undefined) return undefined;
        out.push((tail[0]! << 8) | tail[1]!, (tail[2]! << 8) | tail[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(item)) {
        out.push(Number.parseInt(item, 16));
      } else {
        return undefined;
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<number>(missing).fill(0), ...tail];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}
