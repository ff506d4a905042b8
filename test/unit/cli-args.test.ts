import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  type BullyNodeConfig,
  type CliCommand,
  parseArgs,
  type RaftNodeConfig,
} from '../../src/cli/args.js';
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

function nodeConfig(...extra: string[]): RaftNodeConfig {
  return raftConfig([...BASE, ...extra]);
}

function raftConfig(argv: string[]): RaftNodeConfig {
  const parsed: CliCommand = parseArgs(argv);
  if (parsed.command !== 'node' || parsed.config.protocol !== 'raft') {
    throw new Error(`parsed as ${JSON.stringify(parsed)}`);
  }
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

  it('rejects unknown commands and flags', () => {
    expect(usageError(['serve'])).toBe("unknown command 'serve' (see electorate --help)");
    expect(usageError(['--verbose'])).toBe("unknown flag '--verbose' (see electorate --help)");
  });

  it('parses demo with defaults, a bounded --nodes, --protocol, --port and --open', () => {
    const demo = (config: object) => ({
      command: 'demo',
      config: { protocol: 'raft', nodes: 5, port: 0, open: false, ...config },
    });
    expect(parseArgs(['demo'])).toEqual(demo({}));
    expect(parseArgs(['demo', '--nodes', '3'])).toEqual(demo({ nodes: 3 }));
    expect(parseArgs(['demo', '--nodes=7'])).toEqual(demo({ nodes: 7 }));
    expect(parseArgs(['demo', '--protocol', 'bully', '--port', '8080', '--open'])).toEqual(
      demo({ protocol: 'bully', port: 8080, open: true }),
    );
    expect(parseArgs(['demo', '--protocol=entropy'])).toEqual(demo({ protocol: 'entropy' }));
    expect(parseArgs(['demo', '--protocol', 'les'])).toEqual(demo({ protocol: 'les' }));
    expect(parseArgs(['demo', '--protocol', 'kv'])).toEqual(demo({ protocol: 'kv' }));
    expect(usageError(['demo', '--nodes', '0'])).toBe("--nodes must be between 1 and 25, got '0'");
    expect(usageError(['demo', '--nodes', 'many'])).toBe(
      "--nodes must be a whole number, got 'many'",
    );
    expect(usageError(['demo', '--port', '70000'])).toBe(
      "--port must be between 0 and 65535, got '70000'",
    );
    expect(usageError(['demo', '--protocol', 'paxos'])).toBe(
      "--protocol must be one of raft, bully, les, kv, entropy, got 'paxos'",
    );
    expect(usageError(['demo', '--open=yes'])).toBe('--open takes no value');
    expect(usageError(['demo', '--id', 'n1'])).toBe(
      "unknown flag '--id' for 'demo' (see electorate --help)",
    );
  });

  it('parses diagram with a protocol and a format', () => {
    expect(parseArgs(['diagram', 'raft'])).toEqual({
      command: 'diagram',
      config: { protocol: 'raft', format: 'mermaid' },
    });
    expect(parseArgs(['diagram', '--format', 'svg', 'bully'])).toEqual({
      command: 'diagram',
      config: { protocol: 'bully', format: 'svg' },
    });
    expect(parseArgs(['diagram', 'entropy', '--format=json'])).toEqual({
      command: 'diagram',
      config: { protocol: 'entropy', format: 'json' },
    });
    expect(usageError(['diagram'])).toMatch(
      /^diagram needs a protocol \(raft, bully, les, kv, entropy/,
    );
    expect(usageError(['diagram', 'raft', 'bully'])).toBe("unexpected argument 'bully'");
    expect(usageError(['diagram', 'raft', '--format', 'png'])).toBe(
      "--format must be one of mermaid, svg, json, got 'png'",
    );
    expect(usageError(['diagram', 'raft', '--colour'])).toBe(
      "unknown flag '--colour' for 'diagram' (see electorate --help)",
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
      auth: { secret: undefined, secretFile: undefined },
      log: 'text',
    });
  });

  it('takes a secret for its connections inline or from a file', () => {
    expect(nodeConfig('--secret', 's3cret').auth).toEqual({
      secret: 's3cret',
      secretFile: undefined,
    });
    expect(nodeConfig('--secret-file', '/etc/electorate/secret').auth).toEqual({
      secret: undefined,
      secretFile: '/etc/electorate/secret',
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
      tls: { ca: 'ca.pem', cert: 'n1.pem', key: 'n1.key', mutual: true, verifyPeerIds: false },
      log: 'json',
    });
    expect(config.peers).toEqual([
      { id: 'n2', address: '127.0.0.1:7002' },
      { id: 'n3', address: '127.0.0.1:7003', noVote: true },
      { id: 'n1', address: '127.0.0.1:7001', noVote: true },
    ]);
  });

  it('accepts this node in --peers, repeated --peers, IPv6 and host names', () => {
    const config = raftConfig([
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
    expect(config.peers).toEqual([
      { id: 'n1', address: '10.0.0.1:7001' },
      { id: 'n2', address: '[::1]:7002' },
      { id: 'n3', address: 'db-3.internal:7003' },
    ]);
  });

  it('allows a one-member cluster and an equal timeout range', () => {
    const config = raftConfig([
      'node',
      '--protocol=raft',
      '--id=solo',
      '--listen=127.0.0.1:7001',
      '--peers=solo=127.0.0.1:7001',
      '--election-timeout=200-200',
    ]);
    expect(config.peers).toEqual([{ id: 'solo', address: '127.0.0.1:7001' }]);
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
    [
      'a missing --protocol',
      baseWith('--protocol', undefined),
      'missing --protocol (raft, bully, les or kv)',
    ],
    ['a missing --id', baseWith('--id', undefined), 'missing --id ID'],
    ['a missing --listen', baseWith('--listen', undefined), 'missing --listen HOST:PORT'],
    ['missing --peers', baseWith('--peers', undefined), 'missing --peers ID=HOST:PORT,...'],
    [
      'raft flags for les',
      baseWith('--protocol', 'les'),
      '--id does not apply to --protocol les (use --advertise-addr, --bind-port and --seeds)',
    ],
    ['a les flag for raft', [...BASE, '--seeds', 'a:1'], '--seeds applies only to --protocol les'],
    [
      'raft flags for kv',
      baseWith('--protocol', 'kv'),
      '--listen does not apply to --protocol kv (candidates meet at the --store)',
    ],
    ['a kv flag for raft', [...BASE, '--store', 'memory'], '--store applies only to --protocol kv'],
    [
      'an unknown protocol',
      baseWith('--protocol', 'paxos'),
      "--protocol must be one of raft, bully, les, kv, got 'paxos'",
    ],
    [
      'a planned transport',
      [...BASE, '--transport', 'http'],
      "transport 'http' is not available yet",
    ],
    [
      'multicast for raft',
      [...BASE, '--transport', 'udp'],
      '--transport udp works only with --protocol bully',
    ],
    ['a bully flag', [...BASE, '--pid', '7'], '--pid does not apply to --protocol raft'],
    [
      'both kinds of secret',
      [...BASE, '--secret', 'x', '--secret-file', 'f'],
      '--secret and --secret-file cannot both be given',
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
      '--heartbeat (150) must be at most a third of the minimum election timeout (150)',
    ],
    [
      'a heartbeat above a custom minimum timeout',
      [...BASE, '--election-timeout', '40-80', '--heartbeat', '60'],
      '--heartbeat (60) must be at most a third of the minimum election timeout (40)',
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
    [
      'a token file without --http',
      [...BASE, '--http-token-file', 'token'],
      '--http-token-file needs --http (it guards that server)',
    ],
    [
      '--tls-verify-ids without --tls-mutual',
      [
        ...BASE,
        '--tls-ca',
        'ca.pem',
        '--tls-cert',
        'n1.pem',
        '--tls-key',
        'n1.key',
        '--tls-verify-ids',
      ],
      '--tls-verify-ids needs --tls-mutual',
    ],
  ];

  it.each(cases)('rejects %s', (_name, argv, expected) => {
    expect(usageError(argv)).toContain(expected);
  });
});

const BULLY = ['node', '--protocol', 'bully', '--pid', '42'];

function bullyConfig(...extra: string[]): BullyNodeConfig {
  const parsed = parseArgs([...BULLY, ...extra]);
  if (parsed.command !== 'node' || parsed.config.protocol !== 'bully') {
    throw new Error(`parsed as ${JSON.stringify(parsed)}`);
  }
  return parsed.config;
}

describe('parseArgs: a bully node', () => {
  it('defaults to UDP multicast on the default group, named ADDRESS:PID', () => {
    expect(bullyConfig()).toEqual({
      protocol: 'bully',
      id: '127.0.0.1:42',
      pid: '42',
      address: '127.0.0.1',
      preempt: true,
      timing: {
        announceMs: 100,
        leaderTimeoutMs: 500,
        answerTimeoutMs: 100,
        coordinatorTimeoutMs: 300,
      },
      link: {
        transport: 'udp',
        group: '239.255.77.77:9999',
        iface: undefined,
        ttl: 1,
        format: 'electorate',
        cluster: undefined,
        secret: undefined,
        secretFile: undefined,
      },
      http: undefined,
      log: 'text',
    });
  });

  it('takes every multicast option, the address defaulting to the interface', () => {
    const config = bullyConfig(
      '--transport=udp',
      '--group',
      '239.1.2.3:9000',
      '--iface',
      '10.0.0.5',
      '--ttl',
      '0',
      '--cluster',
      'web',
      '--secret',
      's3cret',
      '--no-preempt',
      '--announce',
      '50',
      '--leader-timeout=400',
      '--answer-timeout',
      '80',
      '--coordinator-timeout',
      '250',
      '--http',
      '127.0.0.1:8001',
      '--log',
      'json',
    );
    expect(config).toMatchObject({
      id: '10.0.0.5:42',
      address: '10.0.0.5',
      preempt: false,
      timing: {
        announceMs: 50,
        leaderTimeoutMs: 400,
        answerTimeoutMs: 80,
        coordinatorTimeoutMs: 250,
      },
      link: {
        group: '239.1.2.3:9000',
        iface: '10.0.0.5',
        ttl: 0,
        cluster: 'web',
        secret: 's3cret',
      },
      http: '127.0.0.1:8001',
      log: 'json',
    });
  });

  it('accepts the full 64-bit pid range, canonical or not, and an explicit id and address', () => {
    expect(bullyConfig().pid).toBe('42');
    const max = parseArgs(['node', '--protocol=bully', '--pid=18446744073709551615']);
    expect(max.command === 'node' && max.config.protocol === 'bully' && max.config.pid).toBe(
      '18446744073709551615',
    );
    const zeros = parseArgs(['node', '--protocol=bully', '--pid=007', '--address=web-1.internal']);
    expect(zeros.command === 'node' && zeros.config).toMatchObject({
      pid: '7',
      id: 'web-1.internal:7',
    });
    expect(bullyConfig('--id', '10.0.0.9:1234').id).toBe('10.0.0.9:1234');
  });

  it('speaks multibully with --compat, taking the secret from a file otherwise', () => {
    expect(bullyConfig('--compat', 'multibully', '--iface', '10.0.0.5').link).toMatchObject({
      format: 'multibully',
    });
    // The reserved group that stock multibully nodes join, for that format alone.
    expect(bullyConfig('--compat', 'multibully', '--group', '224.0.0.0:9999').link).toMatchObject({
      group: '224.0.0.0:9999',
    });
    expect(bullyConfig('--secret-file', '/etc/electorate/secret').link).toMatchObject({
      secret: undefined,
      secretFile: '/etc/electorate/secret',
    });
  });

  it('runs over TCP or WebSocket with members known in advance', () => {
    const config = bullyConfig(
      '--transport',
      'ws',
      '--id',
      'b1',
      '--listen',
      '127.0.0.1:7001',
      '--peers',
      'b2=127.0.0.1:7002,b3=127.0.0.1:7003',
    );
    expect(config).toMatchObject({ id: 'b1', address: '127.0.0.1:7001' });
    expect(config.link).toEqual({
      transport: 'ws',
      listen: '127.0.0.1:7001',
      tls: undefined,
      auth: { secret: undefined, secretFile: undefined },
      peers: [
        { id: 'b2', address: '127.0.0.1:7002' },
        { id: 'b3', address: '127.0.0.1:7003' },
        { id: 'b1', address: '127.0.0.1:7001' },
      ],
    });
  });
});

describe('parseArgs: a bully node over tcp with a secret', () => {
  it('authenticates its connections with --secret or --secret-file', () => {
    const tcp = [
      '--transport',
      'tcp',
      '--listen',
      '127.0.0.1:7001',
      '--peers',
      'b2=127.0.0.1:7002',
    ];
    expect(bullyConfig(...tcp, '--secret-file', 'f').link).toMatchObject({
      auth: { secret: undefined, secretFile: 'f' },
    });
    expect(bullyConfig(...tcp, '--secret', 'x').link).toMatchObject({
      auth: { secret: 'x', secretFile: undefined },
    });
  });
});

describe('parseArgs: bad bully flags', () => {
  const TCP = [...BULLY, '--transport', 'tcp', '--listen', '127.0.0.1:7001'];
  const cases: Array<[string, string[], string]> = [
    [
      'a missing pid',
      ['node', '--protocol', 'bully'],
      "missing --pid N (this node's priority: the highest live pid leads)",
    ],
    ['a negative pid', ['node', '--protocol', 'bully', '--pid', '-1'], "got '-1'"],
    [
      'a pid that is not a number',
      ['node', '--protocol', 'bully', '--pid', '12a'],
      "--pid must be an unsigned 64-bit integer (0 to 18446744073709551615), got '12a'",
    ],
    [
      'a pid past 64 bits',
      ['node', '--protocol', 'bully', '--pid', '18446744073709551616'],
      "got '18446744073709551616'",
    ],
    ['a fractional pid', ['node', '--protocol', 'bully', '--pid', '1.5'], "got '1.5'"],
    [
      'a secret with multibully',
      [...BULLY, '--compat', 'multibully', '--secret', 'x'],
      '--secret: the multibully wire format has no authentication',
    ],
    [
      'a secret file with multibully',
      [...BULLY, '--compat', 'multibully', '--secret-file', 'f'],
      '--secret-file: the multibully wire format has no authentication',
    ],
    [
      'a cluster with multibully',
      [...BULLY, '--compat', 'multibully', '--cluster', 'x'],
      "--cluster applies only to electorate's own wire format",
    ],
    [
      'a host name as the multibully address',
      [...BULLY, '--compat', 'multibully', '--address', 'web-1'],
      "--address must be a dotted IPv4 address with --compat multibully, got 'web-1'",
    ],
    [
      'an unknown compat',
      [...BULLY, '--compat', 'zookeeper'],
      '--compat must be one of multibully',
    ],
    [
      'both kinds of secret',
      [...BULLY, '--secret', 'x', '--secret-file', 'f'],
      '--secret and --secret-file cannot both be given',
    ],
    [
      'a unicast group',
      [...BULLY, '--group', '10.0.0.1:9999'],
      "--group must be an IPv4 multicast address (224.0.0.1 to 239.255.255.255) and a port, got '10.0.0.1:9999'",
    ],
    ['a group without a port', [...BULLY, '--group', '239.1.2.3'], '--group: invalid address'],
    [
      'a reserved group',
      [...BULLY, '--group', '224.0.0.0:9999'],
      '--group must be an IPv4 multicast',
    ],
    [
      'an interface that is not an IPv4 address',
      [...BULLY, '--iface', 'eth0'],
      "--iface must be the IPv4 address of a local interface, got 'eth0'",
    ],
    ['a ttl past 255', [...BULLY, '--ttl', '256'], "--ttl must be between 0 and 255, got '256'"],
    ['an address with a space', [...BULLY, '--address', 'a b'], '--address must be at most 255'],
    [
      'an announce as long as the leader timeout',
      [...BULLY, '--announce', '500'],
      '--announce (500) must be at most half of --leader-timeout (500)',
    ],
    [
      'a zero answer timeout',
      [...BULLY, '--answer-timeout', '0'],
      '--answer-timeout must be between 1',
    ],
    [
      'a raft flag',
      [...BULLY, '--heartbeat', '50'],
      '--heartbeat does not apply to --protocol bully',
    ],
    [
      '--listen over udp',
      [...BULLY, '--listen', '127.0.0.1:7001'],
      '--listen applies only to --transport tcp or ws',
    ],
    [
      '--peers over udp',
      [...BULLY, '--peers', 'a=127.0.0.1:1'],
      '--peers applies only to --transport tcp or ws',
    ],
    [
      '--group over tcp',
      [...TCP, '--peers', 'b=127.0.0.1:7002', '--group', '239.1.1.1:1'],
      '--group applies only to --transport udp',
    ],
    ['tcp without --listen', [...BULLY, '--transport', 'tcp'], 'missing --listen HOST:PORT'],
    ['tcp without --peers', TCP, 'missing --peers ID=HOST:PORT,...'],
    [
      'an unknown transport',
      [...BULLY, '--transport', 'smoke'],
      "--transport must be one of udp, tcp, ws, got 'smoke'",
    ],
    [
      'an id with a slash',
      [...BULLY, '--id', 'a/b'],
      "--id: id 'a/b' must be 1-64 letters, digits, '.', '_', ':' or '-'",
    ],
  ];

  it.each(cases)('rejects %s', (_name, argv, expected) => {
    expect(usageError(argv)).toContain(expected);
  });
});

describe('parseArgs: elect', () => {
  it('parses peers, leader count, entropy and strategy', () => {
    expect(
      parseArgs(['elect', '--peers', 'a, b', '--peers=c', '--leaders', '2', '--entropy', '0xdead']),
    ).toEqual({
      command: 'elect',
      config: { peers: ['a', 'b', 'c'], leaders: 2, entropy: '0xdead', strategy: 'rendezvous' },
    });
    const chainpoint = parseArgs([
      'elect',
      '--peers=a',
      '--leaders=1',
      '--entropy=abcdefgh',
      '--strategy=chainpoint',
    ]);
    expect(chainpoint.command === 'elect' && chainpoint.config.strategy).toBe('chainpoint');
  });

  const cases: Array<[string, string[], string]> = [
    ['no peers', ['elect', '--leaders', '1', '--entropy', 'x'], 'missing --peers ID,...'],
    ['an empty peer list', ['elect', '--peers', '', '--leaders', '1'], '--peers needs a value'],
    [
      'an empty peer',
      ['elect', '--peers', 'a,,b', '--leaders', '1'],
      "--peers has an empty entry in 'a,,b'",
    ],
    ['no leader count', ['elect', '--peers', 'a', '--entropy', 'x'], 'missing --leaders N'],
    [
      'zero leaders',
      ['elect', '--peers', 'a', '--leaders', '0'],
      "--leaders must be a whole number of at least 1, got '0'",
    ],
    ['a fractional leader count', ['elect', '--peers', 'a', '--leaders', '1.5'], "got '1.5'"],
    ['no entropy', ['elect', '--peers', 'a', '--leaders', '1'], 'missing --entropy STR'],
    [
      'an unknown strategy',
      ['elect', '--peers', 'a', '--leaders', '1', '--entropy', 'x', '--strategy', 'random'],
      "--strategy must be one of rendezvous, chainpoint, got 'random'",
    ],
    ['a node flag', ['elect', '--pid', '1'], "unknown flag '--pid' for 'elect'"],
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
    const files = {
      ca: pem('ca.pem'),
      cert: pem('n1.pem'),
      key: pem('n1.key'),
      mutual: true,
      verifyPeerIds: true,
    };
    const tls = loadTlsFiles(files);
    expect(tls.mutual).toBe(true);
    expect(tls.verifyPeerIds).toBe(true);
    expect(tls.ca).toContain('BEGIN CERTIFICATE');
  });

  it('turns a missing, unreadable or non-PEM file into a UsageError naming the flag', () => {
    const good = pem('good.pem');
    const missing = join(dir, 'missing.pem');
    expect(() =>
      loadTlsFiles({ ca: missing, cert: good, key: good, mutual: false, verifyPeerIds: false }),
    ).toThrow(new UsageError(`--tls-ca: cannot read '${missing}' (ENOENT)`));
    expect(() =>
      loadTlsFiles({ ca: good, cert: dir, key: good, mutual: false, verifyPeerIds: false }),
    ).toThrow(new UsageError(`--tls-cert: cannot read '${dir}' (EISDIR)`));
    const der = pem('key.der', 'binary junk');
    expect(() =>
      loadTlsFiles({ ca: good, cert: good, key: der, mutual: false, verifyPeerIds: false }),
    ).toThrow(new UsageError(`--tls-key: '${der}' is not a PEM file`));
  });
});
