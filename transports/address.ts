import { isIP } from 'node:net';

/** A parsed `HOST:PORT` address. `host` never carries IPv6 brackets. */
export interface HostPort {
  host: string;
  port: number;
}

const PORT_PATTERN = /^[0-9]{1,5}$/;

function fail(address: string, why: string): never {
  throw new Error(`invalid address ${JSON.stringify(address)}: ${why} (expected HOST:PORT)`);
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT`. A bare IPv6 address without brackets is rejected
 * rather than guessed at, since its last group is indistinguishable from a port.
 */
export function parseHostPort(address: string): HostPort {
  if (typeof address !== 'string' || address.length === 0) fail(String(address), 'empty');
  let host: string;
  let portText: string;
  if (address.startsWith('[')) {
    const close = address.indexOf(']');
    if (close < 0) fail(address, "missing ']'");
    host = address.slice(1, close);
    if (address[close + 1] !== ':') fail(address, "expected ':' and a port after ']'");
    portText = address.slice(close + 2);
    if (isIP(host) !== 6) fail(address, `${JSON.stringify(host)} is not an IPv6 address`);
  } else {
    const colon = address.lastIndexOf(':');
    if (colon < 0) fail(address, 'missing port');
    host = address.slice(0, colon);
    portText = address.slice(colon + 1);
    if (host.includes(':')) fail(address, 'IPv6 hosts need brackets, e.g. [::1]:7001');
  }
  if (host.length === 0) fail(address, 'missing host');
  if (/\s/.test(host)) fail(address, 'host contains whitespace');
  if (!PORT_PATTERN.test(portText)) fail(address, 'port must be a decimal number');
  const port = Number(portText);
  if (port < 1 || port > 65535) fail(address, 'port must be between 1 and 65535');
  return { host, port };
}

/** The inverse of `parseHostPort`, bracketing IPv6 hosts; also usable inside URLs. */
export function formatHostPort({ host, port }: HostPort): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
