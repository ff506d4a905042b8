import { type BullyKind, type BullyMessage, isPid } from '../machines/bully/messages.js';

/**
 * The MultiBully wire format, so electorate nodes can share a multicast group with nodes of
 * the Go library: one fixed-size ASCII datagram `KIND|IP|PID|`, padded with `#`. It carries
 * no cluster name, sender id or authentication; the (IP, PID) pair is the sender's identity.
 */
export const MULTIBULLY_DATAGRAM_BYTES = 128;

const KINDS: readonly BullyKind[] = ['election', 'ok', 'coordinator'];
const PADDING = 0x23; // '#'
const LAYOUT = /^([0-9])\|([0-9.]{7,15})\|([0-9]{1,20})\|$/;
const OCTET = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Whether `text` is a dotted-quad IPv4 address in canonical form. Leading zeros are
 * refused because some parsers read them as octal, so two nodes could disagree on who sent.
 */
export function isDottedIPv4(text: string): boolean {
  const octets = text.split('.');
  return octets.length === 4 && octets.every((o) => OCTET.test(o) && Number(o) <= 255);
}

/** Packs a Bully message; throws when it cannot be represented on this wire. */
export function encodeMultibully(msg: BullyMessage): Buffer {
  const kind = KINDS.indexOf(msg.type);
  if (kind < 0) throw new TypeError(`multibully has no message kind ${JSON.stringify(msg.type)}`);
  if (!isDottedIPv4(msg.address)) {
    throw new TypeError(
      `multibully carries a dotted IPv4 address, got ${JSON.stringify(msg.address)}`,
    );
  }
  if (!isPid(msg.pid)) {
    throw new TypeError(
      `multibully carries an unsigned 64-bit pid, got ${JSON.stringify(msg.pid)}`,
    );
  }
  const text = `${kind}|${msg.address}|${msg.pid}|`;
  if (text.length > MULTIBULLY_DATAGRAM_BYTES) {
    throw new RangeError(`multibully datagram text exceeds ${MULTIBULLY_DATAGRAM_BYTES} bytes`);
  }
  const datagram = Buffer.alloc(MULTIBULLY_DATAGRAM_BYTES, PADDING);
  datagram.write(text, 0, 'latin1');
  return datagram;
}

/** Unpacks one datagram, or returns undefined for anything that is not exactly this format. */
export function decodeMultibully(datagram: Uint8Array): BullyMessage | undefined {
  if (datagram.length !== MULTIBULLY_DATAGRAM_BYTES) return undefined;
  // Padding is stripped from the end only, so a '#' inside the text fails the layout below.
  let end = datagram.length;
  while (end > 0 && datagram[end - 1] === PADDING) end--;
  if (end === 0 || datagram[end - 1] !== 0x7c) return undefined;
  const match = LAYOUT.exec(
    Buffer.from(datagram.buffer, datagram.byteOffset, end).toString('latin1'),
  );
  if (match === null) return undefined;
  const [, kindText, address, pid] = match as unknown as [string, string, string, string];
  const type = KINDS[Number(kindText)];
  if (type === undefined || !isDottedIPv4(address) || !isPid(pid)) return undefined;
  return { type, pid, address };
}
