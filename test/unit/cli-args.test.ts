import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type NodeConfig, parseArgs } from '../../src/cli/args.js';
import { loadTlsFiles } from '../../src/cli/tls-files.js';
import { UsageError } from '../../src/cli/usage-error.js';

const BASE = [
  'node',
  '--protocol',
  'raft',
  '--id',
  'n1',
  '--listen',
  '127.0.0.1:7001',
  '--peers',
  'n2=127.0.0.1:7002,n3=127.0.0.1:7003',
];

function nodeConfig(...extra: string[]): NodeConfig {
  const parsed = parseArgs([...BASE, ...extra]);
  if (parsed.command !== 'node') throw new Error(`parsed as ${parsed.command}`);
  return parsed.config;
}

/** The UsageError's message, failing the test if parsing succeeds or throws anything else. */
function usageError(argv: string[]): string {
  try {
    parseArgs(argv);
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    return message;
  }
  throw new Error(`expected a UsageError for ${JSON.stringify(argv)}`);
}

/** BASE with one flag's value swapped or the flag removed, for single-fault cases. */
function baseWith(flag: string, value: string | undefined): string[] {
  const argv = [...BASE];
  const at = argv.indexOf(flag);
  if (value === undefined) argv.splice(at, 2);
  else argv[at + 1] = value;
  return argv;
}

describe('parseArgs: commands', () => {
  it('shows usage for no arguments, --help and -h, wherever they appear', () => {
    expect(parseArgs([])).toEqual({ command: 'help' });
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['-h'])).toEqual({ command: 'help' });
    expect(parseArgs(['node', '--bogus', '--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['demo', '-h'])).toEqual({ command: 'help' });
  });

  it('recognises --version', () => {
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
    expect(usageError(['--version', 'x'])).toBe("unexpected argument 'x'");
  });

  it('names planned commands as not available yet and rejects unknown ones', () => {
    expect(usageError(['elect', '--peers', 'a,b'])).toBe("command 'elect' is not available yet");
    expect(usageError(['serve'])).toBe("unknown command 'serve' (see electorate --help)");
    expect(usageError(['--verbose'])).toBe("unknown flag '--verbose' (see electorate --help)");
  });

  it('parses demo with a default and a bounded --nodes', () => {
    expect(parseArgs(['demo'])).toEqual({ command: 'demo', config: { nodes: 3 } });
    expect(parseArgs(['demo', '--nodes', '5'])).toEqual({ command: 'demo', config: { nodes: 5 } });
    expect(parseArgs(['demo', '--nodes=7'])).toEqual({ command: 'demo', config: { nodes: 7 } });
    expect(usageError(['demo', '--nodes', '0'])).toBe("--nodes must be between 1 and 25, got '0'");
    expect(usageError(['demo', '--nodes', 'many'])).toBe(
      "--nodes must be a whole number, got 'many'",
    );
    expect(usageError(['demo', '--id', 'n1'])).toBe(
      "unknown flag '--id' for 'demo' (see electorate --help)",
    );
  });
});

describe('parseArgs: a good node command', () => {
  it('fills the defaults and adds this node to the member list', () => {
    expect(nodeConfig()).toEqual({
      protocol: 'raft',
      id: 'n1',
      listen: '127.0.0.1:7001',
      peers: [
        { id: 'n2', address: '127.0.0.1:7002' },
        { id: 'n3', address: '127.0.0.1:7003' },
        { id: 'n1', address: '127.0.0.1:7001' },
      ],
      transport: 'tcp',
      http: undefined,
      heartbeatMs: 50,
      electionTimeoutMs: [150, 300],
      leaseMs: undefined,
      dataDir: undefined,
      noVote: false,
      tags: {},
      tls: undefined,
      log: 'text',
    });
  });

  it('takes every option, in --flag value and --flag=value forms', () => {
    const config = nodeConfig(
      '--transport=ws',
      '--http',
      '127.0.0.1:8001',
      '--heartbeat',
      '20',
      '--election-timeout=100-200',
      '--lease',
      '80',
      '--data-dir',
      '/var/lib/electorate',
      '--no-vote',
      '--non-voters',
      'n3',
      '--tag',
      'zone=eu-1',
      '--tag=rack=a=b',
      '--tls-ca',
      'ca.pem',
      '--tls-cert',
      'n1.pem',
      '--tls-key',
      'n1.key',
      '--tls-mutual',
      '--log',
      'json',
    );
    expect(config).toMatchObject({
      transport: 'ws',
      http: '127.0.0.1:8001',
      heartbeatMs: 20,
      electionTimeoutMs: [100, 200],
      leaseMs: 80,
      dataDir: '/var/lib/electorate',
      noVote: true,
      tags: { zone: 'eu-1', rack: 'a=b' },
      tls: { ca: 'ca.pem', cert: 'n1.pem', key: 'n1.key', mutual: true },
      log: 'json',
    });
    expect(config.peers).toEqual([
      { id: 'n2', address: '127.0.0.1:7002' },
      { id: 'n3', address: '127.0.0.1:7003', noVote: true },
      { id: 'n1', address: '127.0.0.1:7001', noVote: true },
    ]);
  });

  it('accepts this node in --peers, repeated --peers, IPv6 and host names', () => {
    const config = parseArgs([
      'node',
      '--protocol',
      'raft',
      '--id',
      'n1',
      '--listen',
      '0.0.0.0:7001',
      '--peers',
      'n1=10.0.0.1:7001, n2=[::1]:7002',
      '--peers',
      'n3=db-3.internal:7003',
    ]);
    expect(config.command === 'node' && config.config.peers).toEqual([
      { id: 'n1', address: '10.0.0.1:7001' },
      { id: 'n2', address: '[::1]:7002' },
      { id: 'n3', address: 'db-3.internal:7003' },
    ]);
  });

  it('allows a one-member cluster and an equal timeout range', () => {
    const config = parseArgs([
      'node',
      '--protocol=raft',
      '--id=solo',
      '--listen=127.0.0.1:7001',
      '--peers=solo=127.0.0.1:7001',
      '--election-timeout=200-200',
    ]);
    expect(config.command === 'node' && config.config.peers).toEqual([
      { id: 'solo', address: '127.0.0.1:7001' },
    ]);
  });
});

describe('parseArgs: every bad flag is one clear UsageError', () => {
  const cases: Array<[string, string[], string]> = [
    ['an unknown flag', [...BASE, '--verbose'], "unknown flag '--verbose' for 'node'"],
    ['a single-dash flag', [...BASE, '-v'], "unknown flag '-v' for 'node'"],
    ['a stray argument', [...BASE, 'extra'], "unexpected argument 'extra'"],
    ['a flag without its value at the end', [...BASE, '--http'], '--http needs a value'],
    ['a flag followed by another flag', [...BASE, '--lease', '--no-vote'], '--lease needs a value'],
    ['an empty inline value', [...BASE, '--http='], '--http needs a value'],
    ['a value on a switch', [...BASE, '--no-vote=yes'], '--no-vote takes no value'],
    ['a repeated single flag', [...BASE, '--id', 'n9'], '--id is given more than once'],
    ['a missing --protocol', baseWith('--protocol', undefined), 'missing --protocol (raft)'],
    ['a missing --id', baseWith('--id', undefined), 'missing --id ID'],
    ['a missing --listen', baseWith('--listen', undefined), 'missing --listen HOST:PORT'],
    ['missing --peers', baseWith('--peers', undefined), 'missing --peers ID=HOST:PORT,...'],
    [
      'a planned protocol',
      baseWith('--protocol', 'bully'),
      "protocol 'bully' is not available yet",
    ],
    ['a planned kv protocol', baseWith('--protocol', 'kv'), "protocol 'kv' is not available yet"],
    [
      'an unknown protocol',
      baseWith('--protocol', 'paxos'),
      "--protocol must be one of raft, got 'paxos'",
    ],
    [
      'a planned transport',
      [...BASE, '--transport', 'udp'],
      "transport 'udp' is not available yet",
    ],
    [
      'an unknown transport',
      [...BASE, '--transport', 'smoke'],
      "--transport must be one of tcp, ws, got 'smoke'",
    ],
    [
      'an unknown log format',
      [...BASE, '--log', 'xml'],
      "--log must be one of text, json, none, got 'xml'",
    ],
    [
      'an id with a space',
      baseWith('--id', 'node 1'),
      "--id: id 'node 1' must be 1-64 letters, digits",
    ],
    ['a newline in a value', baseWith('--id', 'a\nb'), "--id: id 'a\\u000ab' must be"],
    [
      'a listen address without a port',
      baseWith('--listen', '127.0.0.1'),
      '--listen: invalid address "127.0.0.1": missing port',
    ],
    [
      'a listen port out of range',
      baseWith('--listen', '127.0.0.1:70000'),
      '--listen: invalid address "127.0.0.1:70000": port must be between 1 and 65535',
    ],
    [
      'an unbracketed IPv6 listen address',
      baseWith('--listen', '::1:7001'),
      'IPv6 hosts need brackets',
    ],
    [
      'a bad --http address',
      [...BASE, '--http', 'localhost'],
      '--http: invalid address "localhost"',
    ],
    [
      '--http on the --listen address',
      [...BASE, '--http', '127.0.0.1:7001'],
      '--http and --listen cannot both be 127.0.0.1:7001',
    ],
    ['a peer without =', baseWith('--peers', 'n2'), "--peers entry 'n2' must be ID=HOST:PORT"],
    [
      'a peer with a bad address',
      baseWith('--peers', 'n2=127.0.0.1:x'),
      '--peers entry for n2: invalid address "127.0.0.1:x": port must be a decimal number',
    ],
    [
      'an empty peer entry',
      baseWith('--peers', 'n2=127.0.0.1:7002,'),
      '--peers has an empty entry',
    ],
    [
      'a duplicate peer id',
      baseWith('--peers', 'n2=127.0.0.1:7002,n2=127.0.0.1:7003'),
      "--peers lists 'n2' more than once",
    ],
    [
      'this node listed twice',
      baseWith('--peers', 'n1=127.0.0.1:7001,n1=127.0.0.1:7004'),
      "--peers lists 'n1' more than once",
    ],
    [
      'two peers on one address',
      baseWith('--peers', 'n2=127.0.0.1:7002,n3=127.0.0.1:7002'),
      "--peers gives 'n2' and 'n3' the same address 127.0.0.1:7002",
    ],
    [
      'a peer on this node address',
      baseWith('--peers', 'n2=127.0.0.1:7001'),
      "--peers gives 'n2' this node's --listen address",
    ],
    [
      'a non-numeric heartbeat',
      [...BASE, '--heartbeat', 'fast'],
      '--heartbeat must be a whole number of milliseconds',
    ],
    ['a fractional heartbeat', [...BASE, '--heartbeat', '1.5'], "got '1.5'"],
    [
      'a zero heartbeat',
      [...BASE, '--heartbeat', '0'],
      '--heartbeat must be between 1 and 2147483647',
    ],
    ['a negative heartbeat', [...BASE, '--heartbeat', '-5'], "got '-5'"],
    [
      'a huge lease',
      [...BASE, '--lease', '99999999999'],
      '--lease must be between 1 and 2147483647',
    ],
    [
      'a timeout that is not a range',
      [...BASE, '--election-timeout', '300'],
      "--election-timeout must be MIN-MAX in milliseconds, got '300'",
    ],
    [
      'a timeout with a bad bound',
      [...BASE, '--election-timeout', '150-x'],
      "--election-timeout must be a whole number of milliseconds, got 'x'",
    ],
    [
      'MIN above MAX',
      [...BASE, '--election-timeout', '300-150'],
      '--election-timeout minimum (300) is above its maximum (150)',
    ],
    [
      'a heartbeat as long as the minimum timeout',
      [...BASE, '--heartbeat', '150'],
      '--heartbeat (150) must be below the minimum election timeout (150)',
    ],
    [
      'a heartbeat above a custom minimum timeout',
      [...BASE, '--election-timeout', '40-80', '--heartbeat', '60'],
      '--heartbeat (60) must be below the minimum election timeout (40)',
    ],
    [
      'a lease as long as the minimum timeout',
      [...BASE, '--lease', '150'],
      '--lease (150) must be below the minimum election timeout (150)',
    ],
    ['a tag without =', [...BASE, '--tag', 'zone'], "--tag must be KEY=VALUE, got 'zone'"],
    ['a tag without a key', [...BASE, '--tag', '=eu'], "--tag must be KEY=VALUE, got '=eu'"],
    [
      'a repeated tag key',
      [...BASE, '--tag', 'a=1', '--tag', 'a=2'],
      "--tag 'a' is given more than once",
    ],
    [
      'an over-long tag',
      [...BASE, '--tag', `k=${'v'.repeat(257)}`],
      '--tag keys and values are limited to 256 characters',
    ],
    [
      'too many tags',
      [...BASE, ...Array.from({ length: 65 }, (_, i) => ['--tag', `k${i}=v`]).flat()],
      '--tag may be given at most 64 times',
    ],
    [
      'a non-voter that is not a peer',
      [...BASE, '--non-voters', 'n9'],
      "--non-voters names 'n9', which --peers does not list",
    ],
    [
      'this node as a non-voter',
      [...BASE, '--non-voters', 'n1'],
      "--non-voters lists this node ('n1'); use --no-vote",
    ],
    ['nobody left to vote', [...BASE, '--no-vote', '--non-voters', 'n2,n3'], 'no member can vote'],
    [
      'a TLS cert without key and CA',
      [...BASE, '--tls-cert', 'n1.pem'],
      'TLS needs --tls-ca, --tls-cert and --tls-key together (missing --tls-ca, --tls-key)',
    ],
    ['--tls-mutual alone', [...BASE, '--tls-mutual'], '(missing --tls-ca, --tls-cert, --tls-key)'],
  ];

  it.each(cases)('rejects %s', (_name, argv, expected) => {
    expect(usageError(argv)).toContain(expected);
  });
});

describe('loadTlsFiles', () => {
  const dir = mkdtempSync(join(tmpdir(), 'electorate-cli-tls-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const pem = (
    name: string,
    body = '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n',
  ) => {
    const path = join(dir, name);
    writeFileSync(path, body);
    return path;
  };

  it('reads the three PEM files', () => {
    const files = { ca: pem('ca.pem'), cert: pem('n1.pem'), key: pem('n1.key'), mutual: true };
    const tls = loadTlsFiles(files);
    expect(tls.mutual).toBe(true);
    expect(tls.ca).toContain('BEGIN CERTIFICATE');
  });

  it('turns a missing, unreadable or non-PEM file into a UsageError naming the flag', () => {
    const good = pem('good.pem');
    const missing = join(dir, 'missing.pem');
    expect(() => loadTlsFiles({ ca: missing, cert: good, key: good, mutual: false })).toThrow(
      new UsageError(`--tls-ca: cannot read '${missing}' (ENOENT)`),
    );
    expect(() => loadTlsFiles({ ca: good, cert: dir, key: good, mutual: false })).toThrow(
      new UsageError(`--tls-cert: cannot read '${dir}' (EISDIR)`),
    );
    const der = pem('key.der', 'binary junk');
    expect(() => loadTlsFiles({ ca: good, cert: good, key: der, mutual: false })).toThrow(
      new UsageError(`--tls-key: '${der}' is not a PEM file`),
    );
  });
});
