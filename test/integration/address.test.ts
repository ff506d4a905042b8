import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort } from '../../transports/index.js';

describe('parseHostPort', () => {
  it.each([
    ['127.0.0.1:7001', { host: '127.0.0.1', port: 7001 }],
    ['localhost:1', { host: 'localhost', port: 1 }],
    ['node-3.example.com:65535', { host: 'node-3.example.com', port: 65535 }],
    ['[::1]:7001', { host: '::1', port: 7001 }],
    ['[fe80::1]:80', { host: 'fe80::1', port: 80 }],
  ])('parses %s', (text, expected) => {
    expect(parseHostPort(text)).toEqual(expected);
    expect(formatHostPort(expected)).toBe(text);
  });

  it.each([
    ['', /empty/],
    ['localhost', /missing port/],
    [':7001', /missing host/],
    ['host:', /decimal/],
    ['host:70a1', /decimal/],
    ['host:0', /between 1 and 65535/],
    ['host:70000', /between 1 and 65535/],
    ['::1:7001', /brackets/],
    ['[::1]7001', /after '\]'/],
    ['[::1:7001', /missing '\]'/],
    ['[not-ip]:7001', /not an IPv6 address/],
    ['my host:7001', /whitespace/],
  ])('rejects %j', (text, why) => {
    expect(() => parseHostPort(text)).toThrow(why);
    expect(() => parseHostPort(text)).toThrow(/expected HOST:PORT/);
  });
});
