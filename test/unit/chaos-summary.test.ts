import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/chaos/checker.js';
import { formatSummary, memoryLine, summaryRows } from '../../src/chaos/summary.js';
import { failover } from '../fixtures/chaos-history.js';

describe('chaos summary', () => {
  it('gives each nemesis a row and its violations only to the fault they name', () => {
    const b = failover('raft', 'pause').fault(2, 'disk', ['n3'], 6000, 7000, 'full');
    // A new term inside the disk window, which n3 had to write and did not report.
    b.add({ kind: 'elected', node: 'n2', incarnation: 0, at: 6200, term: 3, token: 3 });
    const h = b.build();
    const verdict = checkHistory(h);
    const rows = summaryRows(verdict);
    expect(rows.map((r) => r.nemesis)).toEqual(['pause', 'disk']);
    expect(rows[0]).toMatchObject({ faults: 1, violations: 0, newLeaderWorstMs: 700 });
    expect(rows[0]!.unavailableMs).toBeCloseTo(700.2, 5);
    expect(rows[1]).toMatchObject({ faults: 1, violations: 1, newLeaderMedianMs: null });

    const text = formatSummary(h, verdict);
    const lines = text.split('\n');
    expect(lines[0]).toBe('chaos: raft, seed 7, 3 nodes, 10.00 s: FAIL (1 violation)');
    expect(lines.find((l) => l.startsWith('pause'))).toMatch(
      /^pause\s+1\s+0\s+0\s+700 ms\s+700 ms\s+700 ms\s+0 ms\s+0 ms$/,
    );
    expect(lines.find((l) => l.startsWith('disk'))).toMatch(/^disk\s+1\s+1\s+0\s+0 ms\s+-\s+-/);
    expect(text).toContain(
      'VIOLATION disk-error-unreported: fault #2 disk full on [n3] [6000.0, 7000.0]',
    );
  });

  it('says PASS and lists what was not promised', () => {
    const h = failover('les', 'partition').build();
    const text = formatSummary(h, checkHistory(h));
    expect(text.split('\n')[0]).toMatch(/: PASS$/);
    expect(text).toMatch(/^partition\s+1\s+0\s+1\s/m);
    expect(text).toContain('not promised overlap: n2#0 claim [3700.0, 3700.4]');
  });

  it('states memory growth after warm-up, with the heap where it was sampled', () => {
    const MB = 1024 * 1024;
    const base = { incarnation: 0, warmAt: 2000, endAt: 10_000 };
    expect(memoryLine([])).toBeUndefined();
    expect(
      memoryLine([
        { ...base, node: 'n1', warmBytes: 60 * MB, endBytes: 62 * MB },
        { ...base, node: 'n2', warmBytes: 60 * MB, endBytes: 59 * MB },
      ]),
    ).toBe('memory after warm-up (2 processes): rss median +0.5 MB, worst +2.0 MB');
    const line = memoryLine([
      {
        ...base,
        node: 'n1',
        warmBytes: 60 * MB,
        endBytes: 66 * MB,
        warmHeapBytes: 12 * MB,
        endHeapBytes: 13 * MB,
      },
    ]);
    expect(line).toBe(
      'memory after warm-up (1 processes): rss median +6.0 MB, worst +6.0 MB; heap after GC median +1.0 MB, worst +1.0 MB',
    );
    const h = failover('raft', 'kill').build();
    expect(formatSummary(h, checkHistory(h))).toContain('memory after warm-up (3 processes)');
  });
});
