import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../src/cli/args.js';
import { openListenerWarning } from '../../src/cli/open-listener-warning.js';

function warning(...flags: string[]): string | undefined {
  const parsed = parseArgs(['node', ...flags]);
  if (parsed.command !== 'node') throw new Error('not a node command');
  return openListenerWarning(parsed.config);
}

const raft = (listen: string) => [
  '--protocol=raft',
  '--id=n1',
  `--listen=${listen}`,
  '--peers=n2=10.0.0.2:7002',
];
const TLS = ['--tls-ca=ca.pem', '--tls-cert=n1.pem', '--tls-key=n1.key'];

describe('the warning for a listener open to the network', () => {
  it('warns when a raft node listens beyond loopback with neither a secret nor mutual TLS', () => {
    expect(warning(...raft('0.0.0.0:7001'))).toBe(
      'electorate: warning: listening on 0.0.0.0:7001 with neither --secret nor --tls-mutual: anyone who can reach it can claim to be a member',
    );
    expect(warning(...raft('10.0.0.1:7001'), ...TLS)).toContain('warning');
    expect(warning(...raft('[::]:7001'))).toContain('warning');
  });

  it('stays quiet on loopback, with a secret, or with mutual TLS', () => {
    expect(warning(...raft('127.0.0.1:7001'))).toBeUndefined();
    expect(warning(...raft('127.0.0.2:7001'))).toBeUndefined();
    expect(warning(...raft('[::1]:7001'))).toBeUndefined();
    expect(warning(...raft('localhost:7001'))).toBeUndefined();
    expect(warning(...raft('0.0.0.0:7001'), '--secret=s')).toBeUndefined();
    expect(warning(...raft('0.0.0.0:7001'), '--secret-file=f')).toBeUndefined();
    expect(warning(...raft('0.0.0.0:7001'), ...TLS, '--tls-mutual')).toBeUndefined();
  });

  it('covers bully over tcp, not over udp', () => {
    const tcp = ['--protocol=bully', '--pid=1', '--transport=tcp', '--peers=b=10.0.0.2:7002'];
    expect(warning(...tcp, '--listen=0.0.0.0:7001')).toContain('warning');
    expect(warning(...tcp, '--listen=0.0.0.0:7001', '--secret=s')).toBeUndefined();
    expect(warning('--protocol=bully', '--pid=1')).toBeUndefined();
  });
});
