import { describe, expect, it } from 'vitest';
import { type CliCommand, type LesNodeConfig, parseArgs } from '../../src/cli/args.js';
import { refusalLogger } from '../../src/cli/les-election.js';
import { UsageError } from '../../src/cli/usage-error.js';

const SEEDS = 'localhost:4000,localhost:4001,localhost:4002';
const BASE = [
  'node',
  '--protocol',
  'les',
  '--bind-port',
  '4000',
  '--advertise-addr',
  'localhost:4000',
  '--seeds',
  SEEDS,
];

function lesConfig(...extra: string[]): LesNodeConfig {
  const parsed: CliCommand = parseArgs([...BASE, ...extra]);
  if (parsed.command !== 'node' || parsed.config.protocol !== 'les') {
    throw new Error(`parsed as ${JSON.stringify(parsed)}`);
  }
  return parsed.config;
}

function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    if (err instanceof UsageError) return err.message;
    throw err;
  }
  throw new Error(`parsed without error: ${argv.join(' ')}`);
}

describe('parseArgs: les', () => {
  it("reads the reference's demo command line", () => {
    expect(lesConfig()).toEqual({
      protocol: 'les',
      id: 'localhost:4000',
      listen: ['127.0.0.1:4000', '[::1]:4000'],
      seeds: SEEDS.split(','),
      loopMs: 1000,
      allowMembers: [],
      maxMembers: 64,
      push: true,
      alone: false,
      http: undefined,
      log: 'text',
    });
  });

  it('takes the options', () => {
    const config = lesConfig(
      '--bind-interface',
      '0.0.0.0',
      '--loop-rate',
      '0.25',
      '--allow-members',
      'localhost,10.0.0.0/8',
      '--max-members',
      '5',
      '--no-push',
      '--alone',
      '--http',
      '127.0.0.1:9000',
    );
    expect(config).toMatchObject({
      listen: ['0.0.0.0:4000'],
      loopMs: 250,
      allowMembers: ['localhost', '10.0.0.0/8'],
      maxMembers: 5,
      push: false,
      alone: true,
      http: '127.0.0.1:9000',
    });
    expect(lesConfig('--bind-interface', '::').listen).toEqual(['[::]:4000']);
  });

  it('listens on every interface when advertised on a routable name', () => {
    const parsed = parseArgs([
      'node',
      '--protocol',
      'les',
      '--advertise-addr',
      '10.1.2.3:4000',
      '--seeds',
      '10.1.2.4:4000',
    ]);
    expect(
      parsed.command === 'node' && parsed.config.protocol === 'les' && parsed.config.listen,
    ).toEqual(['0.0.0.0:4000']);
  });

  const cases: Array<[string, string[], string]> = [
    [
      'a missing --advertise-addr',
      ['node', '--protocol', 'les', '--seeds', SEEDS],
      'missing --advertise-addr HOST:PORT (where other members reach this node)',
    ],
    [
      'missing --seeds',
      ['node', '--protocol', 'les', '--advertise-addr', 'a:1'],
      'missing --seeds HOST:PORT,...',
    ],
    [
      'a bad advertised address',
      ['node', '--protocol', 'les', '--advertise-addr', 'a b:1', '--seeds', SEEDS],
      "--advertise-addr must be HOST:PORT (a host name or IP, [IPv6] in brackets, port 1-65535), got 'a b:1'",
    ],
    [
      'a seed without a port',
      [...BASE.slice(0, -1), 'localhost'],
      "--seeds must be HOST:PORT (a host name or IP, [IPv6] in brackets, port 1-65535), got 'localhost'",
    ],
    [
      'a port out of range',
      [...BASE, '--bind-port', '70000'],
      '--bind-port is given more than once',
    ],
    [
      'a bad loop rate',
      [...BASE, '--loop-rate', '1s'],
      "--loop-rate must be a number of seconds, got '1s'",
    ],
    [
      'a zero loop rate',
      [...BASE, '--loop-rate', '0'],
      "--loop-rate must be between 0.01 and 3600 seconds, got '0'",
    ],
    [
      'a bad member rule',
      [...BASE, '--allow-members', '10.0.0.0/99'],
      "--allow-members entries must be host names, IP addresses or CIDR networks, each with an optional :PORT, got '10.0.0.0/99'",
    ],
    [
      'an allow list without this node',
      [...BASE, '--allow-members', '10.0.0.0/8'],
      "--allow-members does not allow the --advertise-addr 'localhost:4000'",
    ],
    [
      'no members at all',
      [...BASE, '--max-members', '0'],
      "--max-members must be between 1 and 10000, got '0'",
    ],
    [
      'both push switches',
      [...BASE, '--push', '--no-push'],
      '--push and --no-push cannot both be given',
    ],
    [
      'a stream transport',
      [...BASE, '--transport', 'tcp'],
      "--transport must be one of http, got 'tcp'",
    ],
    ['a bully flag', [...BASE, '--pid', '3'], '--pid does not apply to --protocol les'],
    [
      'the diag port on the LES port',
      [...BASE, '--http', '127.0.0.1:4000'],
      '--http and the LES port cannot both be 127.0.0.1:4000',
    ],
  ];
  it.each(cases)('%s', (_name, argv, message) => {
    expect(usageError(argv)).toBe(message);
  });
});

describe('refusalLogger', () => {
  it('writes one line per reason per interval, counting the rest', () => {
    const lines: string[] = [];
    let t = 0;
    const log = refusalLogger('a:1', { out: () => {}, err: (l) => lines.push(l) }, () => t);
    log({ address: 'x:1', reason: 'not-allowed' });
    log({ address: 'y:1', reason: 'not-allowed' });
    log({ address: 'z:1', reason: 'max-members' });
    t = 10_000;
    log({ address: 'w:1', reason: 'not-allowed' });
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/ a:1 refused member x:1: outside --allow-members$/);
    expect(lines[1]).toMatch(/refused member z:1: the member list is full \(--max-members\)$/);
    expect(lines[2]).toMatch(/refused member w:1: outside --allow-members \(1 more since\)$/);
  });
});
