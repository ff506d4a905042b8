import { describe, expect, it } from 'vitest';
import { checkHistory } from '../../src/chaos/checker.js';
import { quoteEvent } from '../../src/chaos/event-text.js';
import type { ChaosEvent, ChaosHistory } from '../../src/chaos/history.js';
import type { ChaosVerdict, ViolationRule } from '../../src/chaos/verdict.js';
import { claim, failover, HistoryBuilder } from '../fixtures/chaos-history.js';

const MB = 1024 * 1024;

const rules = (v: ChaosVerdict) => v.violations.map((x) => x.rule);

/** The one violation of `rule`, after checking it is the only thing wrong. */
function only(v: ChaosVerdict, rule: ViolationRule) {
  expect(rules(v)).toEqual([rule]);
  return v.violations[0]!;
}

/** The violation names exactly these events, and quotes each of them. */
function names(violation: { message: string; events: ChaosEvent[] }, ...events: ChaosEvent[]) {
  expect(violation.events).toEqual(expect.arrayContaining(events));
  for (const e of events) expect(violation.message).toContain(quoteEvent(e));
}

function find<K extends ChaosEvent['kind']>(
  h: ChaosHistory,
  kind: K,
  pred: (e: Extract<ChaosEvent, { kind: K }>) => boolean,
): Extract<ChaosEvent, { kind: K }> {
  const e = h.events.find((x) => x.kind === kind && pred(x as Extract<ChaosEvent, { kind: K }>));
  if (e === undefined) throw new Error(`no ${kind} event matches`);
  return e as Extract<ChaosEvent, { kind: K }>;
}

describe('checkHistory on clean runs', () => {
  for (const protocol of ['raft', 'kv', 'bully', 'les'] as const) {
    for (const how of ['kill', 'pause', 'partition'] as const) {
      it(`passes a ${protocol} failover by ${how}`, () => {
        const v = checkHistory(failover(protocol, how).build());
        expect(v.violations).toEqual([]);
        // An unfenced leader carrying on beside its successor is all a partition costs.
        const unfenced = (protocol === 'bully' || protocol === 'les') && how === 'partition';
        expect(v.notPromised).toHaveLength(unfenced ? 1 : 0);
        expect(v.ok).toBe(true);
      });
    }
  }

  it('measures the run: resolution, tenures, the failover and the recovery', () => {
    const v = checkHistory(failover('raft', 'kill').build());
    expect(v.stats.resolutionMs).toBeCloseTo(0.4, 5);
    expect(v.stats.tenures).toBe(2);
    expect(v.stats.medianClaimSpacingMs).toBeCloseTo(100, 5);
    expect(v.stats.writes).toEqual({ accepted: 16, rejected: 0 });
    const [kill] = v.stats.faults;
    expect(kill).toMatchObject({ nemesis: 'kill', leaderAtStart: 'n1', tookLeader: true });
    // n1's last claim was at 2900, n2's first at 3700.
    expect(kill!.timeToNewLeaderMs).toBeCloseTo(700, 5);
    expect(kill!.unavailableMs).toBeCloseTo(700.2, 5);
    expect(kill!.recoveryMs).not.toBeNull();
    expect(kill!.recoveryMs!).toBeLessThan(300);
    expect(v.stats.recovery).toMatchObject({ from: 5000, leader: 'n2' });
    expect(v.stats.errorsByNode).toEqual({ n1: 0, n2: 0, n3: 0 });
    expect(v.stats.memory).toHaveLength(3);
  });
});

describe('checkHistory finds', () => {
  it('an overlap of two definite tenures, naming the claims on both sides', () => {
    const h = failover('raft', 'kill').claims('n3', 0, 4000, 4500, 2).build();
    const v = only(checkHistory(h), 'overlap');
    const n3First = find(h, 'claim', (c) => c.node === 'n3' && c.t0 === 4000);
    const n3Last = find(h, 'claim', (c) => c.node === 'n3' && c.t0 === 4400);
    const n2Before = find(h, 'claim', (c) => c.node === 'n2' && c.t0 === 4000);
    const n2After = find(h, 'claim', (c) => c.node === 'n2' && c.t0 === 4400);
    names(v, n3First, n3Last, n2Before, n2After);
    expect(v.message).toMatch(
      /^n3#0 claim \[4000\.0, 4000\.4\] token 2 overlaps n2#0 claim \[4000\.0, 4000\.4\] token 2/,
    );
    expect(v.nodes.sort()).toEqual(['n2', 'n3']);
  });

  it('no overlap where one tenure is a single claim: it proves no interval', () => {
    const h = failover('raft', 'kill')
      .add(claim('n3', 0, 4000, 2))
      .build();
    expect(rules(checkHistory(h))).toEqual([]);
  });

  it('a stale token the register accepted', () => {
    const b = failover('raft', 'kill');
    const w = b.write('n1', 1, 6000.5, 1);
    w.accepted = true;
    const v = only(checkHistory(b.build()), 'stale-write-accepted');
    names(v, w);
    expect(v.message).toContain('n1#1 write at 6000.5 token 1 accepted (newest 2)');
  });

  it('a token that went backwards although the register thought it new', () => {
    const b = failover('kv', 'kill');
    const w: ChaosEvent = {
      kind: 'write',
      node: 'n3',
      incarnation: 0,
      at: 6000.5,
      token: 0,
      accepted: true,
      newest: null,
    };
    const h = b.add(w).build();
    const v = only(checkHistory(h), 'token-regressed');
    const highest = find(h, 'write', (x) => x.token === 2);
    names(v, w, highest);
  });

  it('two nodes writing with one token', () => {
    const b = failover('kv', 'kill');
    const w = b.write('n3', 0, 6000.5, 2);
    const h = b.build();
    const v = only(checkHistory(h), 'token-shared');
    names(
      v,
      w,
      find(h, 'write', (x) => x.node === 'n2' && x.token === 2),
    );
  });

  for (const protocol of ['raft', 'bully'] as const) {
    it(`a ${protocol} leader acting after a pause beside its successor`, () => {
      const b = failover(protocol, 'pause');
      const late = claim('n1', 0, 5000.5, protocol === 'raft' ? 1 : null);
      const h = b.add(late).build();
      const v = only(checkHistory(h), 'stale-leader-after-pause');
      const cont = find(h, 'process', (p) => p.node === 'n1' && p.what === 'cont');
      names(
        v,
        cont,
        late,
        find(h, 'claim', (c) => c.node === 'n2' && c.t0 === 3700),
      );
      expect(v.message).toMatch(
        /^stale leader after pause: n1#0 cont at 5000\.0, then n1#0 claim \[5000\.5, 5000\.9\]/,
      );
    });
  }

  it('a double vote across a restart that kept the data directory, but not across a wipe', () => {
    const again = {
      kind: 'vote',
      node: 'n1',
      incarnation: 1,
      at: 5200,
      term: 1,
      candidate: 'n3',
    } as const;
    const kept = failover('raft', 'kill').add(again).build();
    const v = only(checkHistory(kept), 'double-vote');
    names(
      v,
      again,
      find(kept, 'vote', (x) => x.node === 'n1' && x.term === 1 && x.incarnation === 0),
    );
    expect(checkHistory(kept).stats.wipedRestarts).toEqual([]);

    const wiped = failover('raft', 'kill').add(again).build();
    const start = find(
      wiped,
      'process',
      (p) => p.node === 'n1' && p.what === 'start' && p.incarnation === 1,
    );
    start.data = 'wiped';
    const w = checkHistory(wiped);
    expect(w.violations).toEqual([]);
    expect(w.stats.wipedRestarts).toEqual([
      {
        node: 'n1',
        incarnation: 1,
        at: 5000,
        revotes: ['n1#1 vote at 5200.0 term 1 for n3 after n1#0 vote at 480.0 term 1 for n1'],
      },
    ]);
  });

  it('two leaders elected in one term', () => {
    const second = {
      kind: 'elected',
      node: 'n3',
      incarnation: 0,
      at: 3610,
      term: 2,
      token: 2,
    } as const;
    const h = failover('raft', 'kill').add(second).build();
    const v = only(checkHistory(h), 'two-leaders-one-term');
    names(
      v,
      second,
      find(h, 'elected', (e) => e.node === 'n2'),
    );
  });

  it('two nodes telling /diag they lead one term', () => {
    const h = failover('raft', 'kill').build();
    const d = find(h, 'diag', (x) => x.node === 'n3' && x.at === 4000);
    Object.assign(d, { isLeader: true, role: 'leader', leader: 'n3' });
    const v = checkHistory(h).violations.find((x) => x.rule === 'two-leaders-one-term');
    expect(v).toBeDefined();
    names(
      v!,
      d,
      find(h, 'diag', (x) => x.node === 'n2' && x.isLeader === true && x.term === 2),
    );
  });

  it('no recovery when a node still names the old leader after the heal', () => {
    const h = failover('raft', 'kill').build();
    for (const e of h.events) {
      if (e.kind === 'diag' && e.node === 'n3' && e.at >= 3600)
        Object.assign(e, { leader: 'n1', term: 1 });
    }
    const verdict = checkHistory(h);
    const v = only(verdict, 'no-recovery');
    expect(v.message).toMatch(
      /^no agreed, claiming leader within 3000 ms of fault #1 kill kill on \[n1\]/,
    );
    names(
      v,
      find(h, 'diag', (x) => x.node === 'n3' && x.at === 8000),
    );
    expect(verdict.stats.recovery).toEqual({ from: 5000, agreedAt: null, leader: null });
  });

  it('no recovery in a run without faults that never elects', () => {
    const b = new HistoryBuilder('raft');
    b.diags(() => ({ role: 'candidate', leader: null, term: 3, isLeader: false }));
    const v = only(checkHistory(b.build()), 'no-recovery');
    expect(v.message).toContain('of the start of the run');
  });

  it('memory that grows by more than half and 30 MB, and not growth short of either', () => {
    const b = failover('raft', 'kill');
    b.events.splice(0, b.events.length, ...b.events.filter((e) => e.kind !== 'rss'));
    b.rss('n1', 0, () => 60 * MB);
    b.rss('n2', 0, (t) => 60 * MB + t * 6 * 1024); // ~120 MB at 10 s: double
    b.rss('n3', 0, (t) => 200 * MB + t * 6 * 1024); // +48 MB on 200: under half
    const h = b.build();
    const v = only(checkHistory(h), 'memory-growth');
    names(
      v,
      find(h, 'rss', (r) => r.node === 'n2' && r.at === 2000),
      find(h, 'rss', (r) => r.node === 'n2' && r.at === 10_000),
    );
    expect(v.nodes).toEqual(['n2']);
  });

  it('a heap that keeps growing after full collections, even when RSS stays under its bound', () => {
    const b = failover('raft', 'kill');
    b.events.splice(0, b.events.length, ...b.events.filter((e) => e.kind !== 'rss'));
    b.rss(
      'n1',
      0,
      () => 60 * MB,
      () => 12 * MB,
    );
    // From 12 MB to 24 MB of live heap after warm-up, while RSS grows only 10 MB.
    b.rss(
      'n2',
      0,
      (t) => 60 * MB + t * 1.25 * 1024,
      (t) => 12 * MB + ((t - 2000) / 8000) * 12 * MB,
    );
    b.rss(
      'n3',
      0,
      () => 60 * MB,
      (t) => 12 * MB + ((t - 2000) / 8000) * 3 * MB,
    ); // +3 MB: under the floor
    const h = b.build();
    const v = only(checkHistory(h), 'memory-growth');
    expect(v.nodes).toEqual(['n2']);
    expect(v.message).toContain('the heap after a full collection grew');
    names(
      v,
      find(h, 'rss', (r) => r.node === 'n2' && r.at === 2000),
      find(h, 'rss', (r) => r.node === 'n2' && r.at === 10_000),
    );
    const n3 = checkHistory(h).stats.memory.find((m) => m.node === 'n3');
    expect(n3).toMatchObject({ warmHeapBytes: 12 * MB, endHeapBytes: 15 * MB });
  });

  it('a full disk with nothing to write needs no error', () => {
    const b = failover('raft', 'kill').fault(2, 'disk', ['n3'], 6000, 7000, 'full');
    expect(checkHistory(b.build()).violations).toEqual([]);
  });

  it('a disk fault the node never reported, and a vote it cast without a disk', () => {
    const b = failover('raft', 'kill').fault(2, 'disk', ['n3'], 6000, 7000, 'full');
    // A new term inside the window: n3 had to write it.
    b.add({ kind: 'elected', node: 'n2', incarnation: 0, at: 6200, term: 3, token: 3 });
    const silent = only(checkHistory(b.build()), 'disk-error-unreported');
    expect(silent.message).toBe(
      'fault #2 disk full on [n3] [6000.0, 7000.0]: n3 reported no error while its disk failed',
    );
    expect(silent.nodes).toEqual(['n3']);

    b.add({ kind: 'error', node: 'n3', incarnation: 0, at: 6010, message: 'ENOSPC' });
    const reported = checkHistory(b.build());
    expect(reported.violations).toEqual([]);
    expect(reported.stats.errorsByNode).toEqual({ n1: 0, n2: 0, n3: 1 });

    const vote = {
      kind: 'vote',
      node: 'n3',
      incarnation: 0,
      at: 6500,
      term: 3,
      candidate: 'n1',
    } as const;
    const v = only(checkHistory(b.add(vote).build()), 'voted-without-disk');
    names(v, vote);
  });
});

describe('checkHistory on protocols without a lease', () => {
  for (const protocol of ['bully', 'les'] as const) {
    it(`reports a ${protocol} overlap under a partition as not promised`, () => {
      const h = failover(protocol, 'partition').build();
      // The clean partition history keeps n1 claiming through the partition beside n2.
      const v = checkHistory(h);
      expect(v.violations).toEqual([]);
      expect(v.ok).toBe(true);
      expect(v.notPromised).toHaveLength(1);
      const [np] = v.notPromised;
      expect(np!.reason).toContain('fault #1 partition leader-isolated');
      names(
        np!,
        find(h, 'claim', (c) => c.node === 'n2' && c.t0 === 3700),
      );
    });

    it(`flags a ${protocol} overlap with no fault to excuse it`, () => {
      const h = failover(protocol, 'kill').claims('n3', 0, 8000, 8500, null).build();
      expect(rules(checkHistory(h))).toEqual(['overlap']);
    });
  }

  it('the same partition overlap is a violation for raft', () => {
    const h = failover('raft', 'partition').claims('n1', 0, 3300, 4200, 1).build();
    const v = checkHistory(h);
    expect(rules(v)).toContain('overlap');
    expect(v.notPromised).toEqual([]);
  });
});

describe('checkHistory on a store that ends leases early', () => {
  /**
   * n1 leads on token 1; the etcd leader member stands still over [3000, 5000]; n2 takes the
   * key on token 2 at `n2From` while n1 still works until 5600, its late write refused.
   */
  function pausedEtcd(version: string | undefined, n2From = 5100): ChaosHistory {
    const b = new HistoryBuilder('kv');
    for (const node of b.nodes) {
      b.add({ kind: 'process', node, incarnation: 0, at: 0, what: 'start', data: 'fresh' });
    }
    b.add({ kind: 'elected', node: 'n1', incarnation: 0, at: 500, term: 1, token: 1 });
    b.claims('n1', 0, 600, 5600, 1).writes('n1', 0, 1000, 5000, 1);
    b.fault(1, 'store', ['store m1'], 3000, 5000, 'pause-leader-member');
    b.add({ kind: 'elected', node: 'n2', incarnation: 0, at: n2From - 50, term: 2, token: 2 });
    b.claims('n2', 0, n2From, 9000, 2).writes('n2', 0, n2From, 9000, 2);
    b.write('n1', 0, 5550, 1);
    b.add({
      kind: 'deposed',
      node: 'n1',
      incarnation: 0,
      at: 5600,
      term: 2,
      reason: 'lease-lapsed',
    });
    b.diags((node, t) => {
      const leader = t < 500 ? null : t < 5700 ? 'n1' : 'n2';
      return {
        role: leader === node ? 'leader' : 'follower',
        leader,
        term: leader === 'n2' ? 2 : 1,
        isLeader: leader === node,
      };
    });
    return {
      ...b.build(),
      store: 'etcd-cluster',
      ...(version === undefined ? {} : { storeVersion: version }),
    };
  }

  for (const version of ['3.4.23', '3.5.10']) {
    it(`reports the overlap after a paused etcd ${version} leader member as not promised`, () => {
      const v = checkHistory(pausedEtcd(version));
      expect(v.violations).toEqual([]);
      expect(v.notPromised).toHaveLength(1);
      const [np] = v.notPromised;
      expect(np!.reason).toContain(`etcd ${version}`);
      expect(np!.reason).toContain('etcd-io/etcd#15247');
      expect(np!.reason).toMatch(/fault #1 store pause-leader-member .* healed 100\.\d ms before$/);
      expect(v.stats.writes.rejected).toBe(1);
    });
  }

  for (const version of ['3.4.28', '3.5.11', '3.6.0', undefined]) {
    it(`flags the same overlap on etcd ${version ?? 'of unknown version'}`, () => {
      const v = checkHistory(pausedEtcd(version));
      expect(rules(v)).toEqual(['overlap']);
      expect(v.notPromised).toEqual([]);
    });
  }

  it('flags an overlap that began while the member was still paused', () => {
    expect(rules(checkHistory(pausedEtcd('3.4.23', 4500)))).toEqual(['overlap']);
  });

  it('flags a stale write the register accepted, defect or not', () => {
    const h = pausedEtcd('3.4.23');
    const late = h.events.find((e) => e.kind === 'write' && e.node === 'n1' && e.at === 5550);
    Object.assign(late!, { accepted: true });
    expect(rules(checkHistory(h))).toContain('stale-write-accepted');
  });
});
