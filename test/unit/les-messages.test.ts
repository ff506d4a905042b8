import { describe, expect, it } from 'vitest';
import {
  allowsMember,
  decodeLesMessage,
  decodeLesState,
  isLesAddress,
  isMemberRule,
} from '../../machines/les/messages.js';
import { pythonFloat, pythonJson } from '../../transports/http-json.js';

describe('isLesAddress', () => {
  it.each([
    'localhost:4000',
    '127.0.0.1:1',
    'node-1.example.com:65535',
    '[::1]:4000',
    '[fe80::1]:1',
  ])('accepts %s', (a) => expect(isLesAddress(a)).toBe(true));

  it.each([
    'localhost',
    ':4000',
    'localhost:0',
    'localhost:65536',
    'localhost:04000',
    'a b:1',
    '::1:4000',
    '[::1]4000',
    '[zz]:1',
    `${'a'.repeat(300)}:1`,
    'host_name:1',
    'x:1/../../admin',
    42,
    null,
  ])('refuses %s', (a) => expect(isLesAddress(a)).toBe(false));
});

describe('allowsMember', () => {
  const rules = ['localhost', '10.0.0.0/8', '192.168.1.7', 'fd00::/8'];
  it.each([
    ['localhost:4000', true],
    ['LOCALHOST:4000', true],
    ['10.200.3.4:1', true],
    ['11.0.0.1:1', false],
    ['192.168.1.7:9', true],
    ['192.168.1.8:9', false],
    ['[fd12::1]:1', true],
    ['[fe80::1]:1', false],
    ['evil.example:80', false],
  ])('%s → %s', (address, allowed) => expect(allowsMember(rules, address)).toBe(allowed));

  it('allows anyone without rules', () => expect(allowsMember([], 'evil.example:80')).toBe(true));

  const withPorts = ['127.0.0.11:5000', 'node.example:7000', '[::1]:7001', '10.0.0.0/8:7002'];
  it.each([
    ['127.0.0.11:5000', true],
    ['127.0.0.11:4999', false],
    ['NODE.example:7000', true],
    ['node.example:7001', false],
    ['[::1]:7001', true],
    ['[::1]:7000', false],
    ['10.1.2.3:7002', true],
    ['10.1.2.3:7003', false],
  ])('with ports, %s → %s', (address, allowed) =>
    expect(allowsMember(withPorts, address)).toBe(allowed),
  );

  it('checks rules', () => {
    expect(isMemberRule('10.0.0.0/8')).toBe(true);
    expect(isMemberRule('::/0')).toBe(true);
    expect(isMemberRule('10.0.0.0/33')).toBe(false);
    expect(isMemberRule('a b')).toBe(false);
    expect(isMemberRule('10.0.0.0/x')).toBe(false);
    for (const rule of ['a.example:1', '127.0.0.1:65535', '[::1]:80', '[::1]', '10.0.0.0/8:80']) {
      expect(isMemberRule(rule), rule).toBe(true);
    }
    for (const rule of ['a.example:0', 'a.example:65536', 'a.example:', '[::1]x', '[::1:80']) {
      expect(isMemberRule(rule), rule).toBe(false);
    }
  });
});

describe('decodeLesState', () => {
  it('takes a reference state and leaves out member entries that are not addresses', () => {
    expect(
      decodeLesState({
        members: ['a:1', 'a:1', 'b b:2', 7, 'c:3'],
        leader: false,
        start_time: 1627515915.703066,
      }),
    ).toEqual({ members: ['a:1', 'c:3'], leader: false, start_time: 1627515915.703066 });
  });

  it.each([
    ['members not a list', { members: 'a:1', leader: false, start_time: 1 }],
    ['leader true', { members: [], leader: true, start_time: 1 }],
    ['leader not an address', { members: [], leader: 'nobody', start_time: 1 }],
    ['start_time a string', { members: [], leader: false, start_time: '1' }],
    ['start_time missing', { members: [], leader: false }],
    ['a list', []],
    ['too many members', { members: Array(1025).fill('a:1'), leader: false, start_time: 1 }],
  ])('refuses %s', (_name, raw) => expect(decodeLesState(raw)).toBeUndefined());
});

describe('decodeLesMessage', () => {
  it('refuses unknown types and bad request ids', () => {
    expect(decodeLesMessage({ type: 'ping', rid: -1 })).toBeUndefined();
    expect(decodeLesMessage({ type: 'ping', rid: 1.5 })).toBeUndefined();
    expect(decodeLesMessage({ type: 'shutdown' })).toBeUndefined();
    expect(decodeLesMessage({ type: 'state-request', rid: 1, join: 'yes' })).toBeUndefined();
    expect(decodeLesMessage({ type: 'unreachable' })).toEqual({ type: 'unreachable' });
  });
});

describe('pythonJson', () => {
  it("writes json.dumps's separators and floats", () => {
    expect(
      pythonJson({ members: ['a:1', 'b:2'], leader: false, start_time: 1627515915.703066 }),
    ).toBe('{"members": ["a:1", "b:2"], "leader": false, "start_time": 1627515915.703066}');
    expect(pythonJson({ a: [], b: {} }, 2)).toBe('{\n  "a": [],\n  "b": {}\n}');
  });

  it.each([
    [1700000000, '1700000000.0'],
    [0.5, '0.5'],
    [1e-5, '1e-05'],
    [1.5e16, '1.5e+16'],
    [0, '0.0'],
  ])('writes %s as %s', (n, text) => expect(pythonFloat(n)).toBe(text));

  it('escapes as ensure_ascii does', () => {
    expect(pythonJson('é"\\\n\u0001\u007f')).toBe('"\\u00e9\\"\\\\\\n\\u0001\\u007f"');
  });
});
