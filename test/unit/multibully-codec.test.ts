import { describe, expect, it } from 'vitest';
import type { BullyMessage } from '../../machines/bully/messages.js';
import {
  decodeMultibully,
  encodeMultibully,
  MULTIBULLY_DATAGRAM_BYTES,
} from '../../transports/multibully-codec.js';

/** A datagram as the Go library would build it: `text`, then `pad` up to 128 bytes. */
function datagram(text: string, pad = '#'): Buffer {
  return Buffer.from(text.padEnd(MULTIBULLY_DATAGRAM_BYTES, pad), 'latin1');
}

const MAX_PID = '18446744073709551615';

describe('encodeMultibully', () => {
  it('writes KIND|IP|PID| padded with # to exactly 128 bytes', () => {
    const bytes = encodeMultibully({ type: 'election', pid: '12345', address: '192.168.1.5' });
    const text = '0|192.168.1.5|12345|';
    expect(bytes.length).toBe(128);
    expect(bytes.toString('latin1')).toBe(text + '#'.repeat(128 - text.length));
  });

  it('numbers the kinds as the Go library does', () => {
    const kind = (type: BullyMessage['type']) =>
      encodeMultibully({ type, pid: '1', address: '10.0.0.1' }).toString('latin1').slice(0, 2);
    expect([kind('election'), kind('ok'), kind('coordinator')]).toEqual(['0|', '1|', '2|']);
  });

  it('carries the full uint64 range and every IPv4 address', () => {
    const bytes = encodeMultibully({ type: 'ok', pid: MAX_PID, address: '255.255.255.255' });
    expect(bytes.toString('latin1')).toBe(datagram(`1|255.255.255.255|${MAX_PID}|`).toString());
    expect(encodeMultibully({ type: 'ok', pid: '0', address: '0.0.0.0' })).toEqual(
      datagram('1|0.0.0.0|0|'),
    );
  });

  it.each(['node-a.example', '10.0.0.1:7001', '::1', '010.0.0.1', '256.0.0.1', '1.2.3', ''])(
    'refuses the address %j',
    (address) => {
      expect(() => encodeMultibully({ type: 'election', pid: '1', address })).toThrow(TypeError);
    },
  );

  it.each(['-1', '007', '18446744073709551616', '1.5', ''])('refuses the pid %j', (pid) => {
    expect(() => encodeMultibully({ type: 'election', pid, address: '10.0.0.1' })).toThrow(
      TypeError,
    );
  });

  it('refuses a kind the format does not have', () => {
    const msg = { type: 'resign', pid: '1', address: '10.0.0.1' } as unknown as BullyMessage;
    expect(() => encodeMultibully(msg)).toThrow(TypeError);
  });
});

describe('decodeMultibully', () => {
  it('reads a datagram built by the Go library', () => {
    expect(decodeMultibully(datagram('2|192.168.1.5|12345|'))).toEqual({
      type: 'coordinator',
      pid: '12345',
      address: '192.168.1.5',
    });
  });

  it.each<BullyMessage>([
    { type: 'election', pid: '12345', address: '192.168.1.5' },
    { type: 'ok', pid: '0', address: '0.0.0.0' },
    { type: 'coordinator', pid: MAX_PID, address: '255.255.255.255' },
    { type: 'election', pid: '4294967296', address: '127.0.0.1' },
  ])('round-trips %j', (msg) => {
    expect(decodeMultibully(encodeMultibully(msg))).toEqual(msg);
  });

  it('accepts a view into a larger buffer', () => {
    const inner = encodeMultibully({ type: 'ok', pid: '9', address: '10.1.2.3' });
    const outer = Buffer.concat([Buffer.from('xxxx'), inner, Buffer.from('yyyy')]);
    expect(decodeMultibully(outer.subarray(4, 4 + 128))).toEqual({
      type: 'ok',
      pid: '9',
      address: '10.1.2.3',
    });
  });

  const valid = datagram('0|10.0.0.1|42|');

  it.each([
    ['empty', Buffer.alloc(0)],
    ['one byte short', valid.subarray(0, 127)],
    ['one byte long', Buffer.concat([valid, Buffer.from('#')])],
    ['truncated to its text', Buffer.from('0|10.0.0.1|42|')],
    ['64 KiB', Buffer.alloc(65_536, '#')],
    ['all padding', Buffer.alloc(128, '#')],
    ['random bytes', Buffer.from(Array.from({ length: 128 }, (_, i) => (i * 97 + 13) % 256))],
  ])('rejects a datagram that is %s', (_label, bytes) => {
    expect(decodeMultibully(bytes)).toBeUndefined();
  });

  it.each([
    ['kind 3', '3|10.0.0.1|42|'],
    ['kind 9', '9|10.0.0.1|42|'],
    ['a two-digit kind', '00|10.0.0.1|42|'],
    ['a letter for a kind', 'a|10.0.0.1|42|'],
    ['no kind', '|10.0.0.1|42|'],
    ['an octet over 255', '0|10.0.0.256|42|'],
    ['a leading zero in an octet', '0|10.0.0.01|42|'],
    ['three octets', '0|10.0.1|42|'],
    ['five octets', '0|10.0.0.1.5|42|'],
    ['an empty octet', '0|10..0.1|42|'],
    ['a hostname', '0|localhost|42|'],
    ['an IPv6 address', '0|::1|42|'],
    ['a space before the address', '0| 10.0.0.1|42|'],
    ['no pid', '0|10.0.0.1||'],
    ['a negative pid', '0|10.0.0.1|-42|'],
    ['a pid with a leading zero', '0|10.0.0.1|042|'],
    ['a pid past uint64', '0|10.0.0.1|18446744073709551616|'],
    ['a 21-digit pid', '0|10.0.0.1|100000000000000000000|'],
    ['a pid in exponent form', '0|10.0.0.1|1e3|'],
    ['no trailing separator', '0|10.0.0.1|42'],
    ['an extra field', '0|10.0.0.1|42|7|'],
    ['text after the last separator', '0|10.0.0.1|42|x'],
    ['a # inside the text', '0|10.0.0.1|4#2|'],
  ])('rejects %s', (_label, text) => {
    expect(decodeMultibully(datagram(text))).toBeUndefined();
  });

  it.each([
    ['NUL', '\0'],
    ['space', ' '],
    ['x', 'x'],
  ])('rejects padding of %s', (_label, pad) => {
    expect(decodeMultibully(datagram('0|10.0.0.1|42|', pad))).toBeUndefined();
  });

  it('rejects a stray byte anywhere in the padding', () => {
    for (const at of [20, 64, 127]) {
      const bytes = Buffer.from(valid);
      bytes[at] = 0x2a;
      expect(decodeMultibully(bytes)).toBeUndefined();
    }
  });

  it('rejects non-ASCII bytes', () => {
    const bytes = Buffer.from(valid);
    bytes[127] = 0xa3;
    expect(decodeMultibully(bytes)).toBeUndefined();
  });
});
