import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { raftModel } from '../../src/check/index.js';
import { parseArgs } from '../../src/cli/args.js';
import { checkConfig } from '../../src/cli/check-args.js';
import { type CheckIo, runCheck } from '../../src/cli/check-command.js';
import { run } from '../../src/cli/main.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { votesTwice } from './raft-mutants.js';

const dir = mkdtempSync(join(tmpdir(), 'electorate-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const raw: string[] = [];
  const sink = { out: (l: string) => out.push(l), err: (l: string) => err.push(l) };
  const io: CheckIo = { tty: false, writeErr: (t) => raw.push(t) };
  return { out, err, raw, sink, io };
}

/** Grants every vote of a current or newer term, even after voting in it. */
const models = {
  raft: () => raftModel(),
  'raft-votes-twice': () => raftModel({ logic: votesTwice, name: 'raft-votes-twice' }),
};

describe('electorate check: arguments', () => {
  it('parses a protocol and its bounds', () => {
    expect(
      parseArgs(['check', 'raft', '--nodes', '3', '--max-term', '2', '--timed', '--out', 'x.json']),
    ).toEqual({
      command: 'check',
      config: {
        mode: 'explore',
        protocol: 'raft',
        bounds: { nodes: 3, maxTerm: 2, timed: true },
        out: 'x.json',
      },
    });
    expect(checkConfig(['--replay', 'f.json'])).toEqual({ mode: 'replay', file: 'f.json' });
    expect(checkConfig(['raft', '--workers', '2', '--exact'])).toEqual({
      mode: 'explore',
      protocol: 'raft',
      bounds: {},
      workers: 2,
      exact: true,
    });
  });

  it.each([
    [[], /missing protocol/],
    [['paxos'], /no model of protocol 'paxos'/],
    [['raft', '--nodes', 'three'], /--nodes must be a whole number/],
    [['raft', '--max-faults', '99'], /--max-faults must be between 0 and 20/],
    [['raft', '--bogus'], /unknown flag '--bogus'/],
    [['raft', '--workers', '0'], /--workers must be between 1 and 64/],
    [['raft', '--workers', 'all'], /--workers must be a whole number/],
    [['raft', '--exact=yes'], /--exact takes no value/],
    [['raft', '--replay', 'f.json'], /--replay takes no protocol/],
    [['--replay', 'f.json', '--nodes', '3'], /--replay takes no other flags/],
  ])('refuses %j with one clear line', (args, message) => {
    expect(() => checkConfig(args)).toThrow(UsageError);
    expect(() => checkConfig(args)).toThrow(message);
  });

  it('exits 2 with one line on stderr for bad arguments', async () => {
    const c = capture();
    expect(await run(['check', 'raft', '--max-term', '-1'], c.sink)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.out).toEqual([]);
    const d = capture();
    expect(await run(['check', 'raft', '--drift', '2'], d.sink)).toBe(2);
    expect(d.err).toEqual([
      'electorate: --drift needs --timed (raft is checked untimed by default)',
    ]);
  });
});

describe('electorate check: runs', () => {
  it('exits 0 with a summary when every invariant holds', () => {
    const c = capture();
    const config = { mode: 'explore' as const, protocol: 'raft', bounds: { maxTerm: 1 } };
    expect(runCheck(config, c.sink, c.io, models)).toBe(0);
    expect(c.out[0]).toMatch(/^raft: 3 nodes, max term 1, max faults 1/);
    expect(c.out[1]).toMatch(/^states [\d,]+, transitions [\d,]+, depth \d+, time [\d.]+ s/);
    expect(c.out[2]).toMatch(/^result: ok, every invariant holds/);
  });

  it('exits 1 on a violation, prints the path and writes a file that --replay reproduces', async () => {
    const file = join(dir, 'cex.json');
    const c = capture();
    const config = {
      mode: 'explore' as const,
      protocol: 'raft-votes-twice',
      bounds: { maxTerm: 2, maxFaults: 0, maxInFlight: 3 },
      out: file,
    };
    expect(runCheck(config, c.sink, c.io, models)).toBe(1);
    const text = c.out.join('\n');
    expect(text).toContain('result: VIOLATED: a vote never changes within a term');
    expect(text).toMatch(/\n 1\. n\d: timer /);
    expect(text).toContain('```mermaid\nsequenceDiagram');
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    expect(saved.protocol).toBe('raft-votes-twice');

    const r = capture();
    expect(runCheck({ mode: 'replay', file }, r.sink, r.io, models)).toBe(1);
    expect(r.out.at(-1)).toMatch(
      /^result: reproduced at step \d+: a vote never changes within a term/,
    );

    // The shipped machine, given the same path, does not break.
    writeFileSync(file, JSON.stringify({ ...saved, protocol: 'raft' }));
    const ok = capture();
    expect(runCheck({ mode: 'replay', file }, ok.sink, ok.io, models)).not.toBe(2);
    expect(ok.out.at(-1)).not.toMatch(/reproduced/);
  });

  it('refuses a file that is not a counterexample with exit code 2', async () => {
    const file = join(dir, 'junk.json');
    writeFileSync(file, '{"format": "something else"}');
    const c = capture();
    expect(await run(['check', '--replay', file], c.sink)).toBe(2);
    expect(c.err).toHaveLength(1);
    expect(c.err[0]).toMatch(/format must be electorate-counterexample\/1/);
  });
});
