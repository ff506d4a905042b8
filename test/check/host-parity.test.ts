import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bullyModel } from '../../machines/bully/model.js';
import { kvModel } from '../../machines/kv/model.js';
import {
  type CheckBounds,
  clusterIds,
  DEFAULT_BOUNDS,
  type ProtocolModel,
} from '../../machines/protocol-model.js';
import { raftModel } from '../../machines/raft/model.js';
import { type NodeRecord, NodeTable } from '../../src/check/node-table.js';
import { simulatedProtocol } from '../../src/check/replay.js';
import { Simulation } from '../../src/sim/simulation.js';

/**
 * The checker and the simulator both run each node's machine through the one host that
 * carries out its effects (sends, durable state, the lease). This walks a cluster through
 * the same schedule in both, one step at a time (deliver, lose or copy a message, fire a
 * timer, let a tick pass, crash or restart a node), and compares after every step what each
 * says: every node's role, leader, term and lease, its pending timers, and the messages in
 * flight, in order. The checker drives XState's pure transition with a clock that reads 0
 * now; the simulator runs real actors in virtual time.
 */

interface Flight {
  from: string;
  to: string;
  msg: unknown;
}

type Move =
  | { kind: 'deliver' | 'drop' | 'duplicate'; at: number }
  | { kind: 'timer'; node: number; at: number }
  | { kind: 'tick' }
  | { kind: 'crash'; node: number };

const move: fc.Arbitrary<Move> = fc.oneof(
  { weight: 6, arbitrary: fc.nat(50).map((at) => ({ kind: 'deliver' as const, at })) },
  { weight: 1, arbitrary: fc.nat(50).map((at) => ({ kind: 'drop' as const, at })) },
  { weight: 1, arbitrary: fc.nat(50).map((at) => ({ kind: 'duplicate' as const, at })) },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('timer' as const), node: fc.nat(9), at: fc.nat(9) }),
  },
  { weight: 4, arbitrary: fc.constant({ kind: 'tick' as const }) },
  { weight: 1, arbitrary: fc.nat(9).map((node) => ({ kind: 'crash' as const, node })) },
);

const sorted = (flights: readonly Flight[]): string[] =>
  flights.map((f) => JSON.stringify([f.from, f.to, f.msg])).sort();

function walk(model: ProtocolModel, bounds: CheckBounds, moves: Move[]): void {
  const kept = (snapshot: unknown): unknown =>
    snapshot === undefined
      ? undefined
      : model.abstract === undefined
        ? [(snapshot as { value: unknown }).value, (snapshot as { context: unknown }).context]
        : model.abstract(snapshot as never, (id) => id, bounds.timed);
  const ids = clusterIds(model, bounds.nodes);
  const table = new NodeTable(model, ids, bounds);
  const sim = new Simulation({
    nodes: ids.map((id) => ({ id })),
    seed: 1,
    protocol: simulatedProtocol(model, bounds.timed),
    manual: true,
  });
  const nodes: NodeRecord[] = [];
  let flights: Flight[] = [];
  const sent = (from: number, sends: number[]) =>
    sends.map((m) => {
      const r = table.messages[m]!;
      expect(r.from).toBe(from);
      return { from: ids[from]!, to: ids[r.to]!, msg: r.msg };
    });
  ids.forEach((_, i) => {
    const out = table.boot(i, undefined, model.ghost?.initial);
    nodes.push(table.records[out.next]!);
    flights.push(...sent(i, out.sends));
  });

  const same = (step: string) => {
    for (const [i, id] of ids.entries()) {
      const rec = nodes[i]!;
      const st = sim.node(id);
      const where = `${step}: ${id}`;
      expect(st.up, where).toBe(rec.up);
      if (!rec.up) continue;
      // What the checker keeps of a snapshot (it merges states that differ in counters alone).
      expect(kept(sim.snapshot(id)), where).toEqual(kept(rec.snapshot));
      expect({ role: st.role, leader: st.leader }, where).toEqual({
        role: rec.view.role,
        leader: rec.view.leader,
      });
      expect(st.isLeader && bounds.timed, where).toBe(rec.view.leaseValid);
      expect([...sim.pendingTimers(id)].sort(), where).toEqual(rec.timers.map((t) => t.id).sort());
    }
    // In flight is a multiset: which of two identical copies goes first is nobody's business.
    expect(sorted(sim.inFlight()), step).toEqual(sorted(flights));
  };
  same('boot');

  for (const [n, m] of moves.entries()) {
    const step = `step ${n + 1} (${m.kind})`;
    switch (m.kind) {
      case 'deliver':
      case 'drop':
      case 'duplicate': {
        if (flights.length === 0) continue;
        const at = m.at % flights.length;
        const f = flights[at]!;
        expect(sim[m.kind](f.from, f.to, f.msg), step).toBe(true);
        if (m.kind === 'duplicate') {
          flights.push(f);
          break;
        }
        flights = flights.filter((_, j) => j !== at);
        if (m.kind === 'drop') break;
        const to = ids.indexOf(f.to);
        const record = table.messages[table.message(ids.indexOf(f.from), to, f.msg)]!;
        const out = table.deliver(nodes[to]!, record);
        nodes[to] = table.records[out.next]!;
        flights.push(...sent(to, out.sends));
        break;
      }
      case 'timer': {
        const i = m.node % ids.length;
        const rec = nodes[i]!;
        if (!rec.up || rec.timers.length === 0) continue;
        const timer = rec.timers[m.at % rec.timers.length]!;
        expect(sim.fire(ids[i]!, timer.id), step).toBe(true);
        const out = table.fire(rec, timer);
        nodes[i] = table.records[out.next]!;
        flights.push(...sent(i, out.sends));
        break;
      }
      case 'tick':
        if (!bounds.timed) continue;
        sim.run(1);
        for (const [i, rec] of nodes.entries()) {
          if (rec.up) nodes[i] = table.records[table.tick(rec)]!;
        }
        break;
      case 'crash': {
        const i = m.node % ids.length;
        const rec = nodes[i]!;
        if (model.faults?.crash === false) continue;
        if (rec.up) {
          sim.crash(ids[i]!);
          nodes[i] = table.records[table.down(rec)]!;
        } else {
          sim.restart(ids[i]!);
          const out = table.boot(i, rec.durable, rec.ghost);
          nodes[i] = table.records[out.next]!;
          flights.push(...sent(i, out.sends));
        }
        break;
      }
    }
    same(step);
  }
}

const runs = Number(process.env.PROPERTY_RUNS ?? 200);
const cases: [string, ProtocolModel, Partial<CheckBounds>][] = [
  ['raft, timed (leases)', raftModel(), { timed: true, maxTerm: 50 }],
  ['raft, untimed', raftModel(), { maxTerm: 50 }],
  ['kv, timed (leases, store)', kvModel(), { timed: true, maxTerm: 50 }],
  ['bully', bullyModel(), { maxTerm: 50 }],
];

describe('the checker and the simulator, through one host', () => {
  for (const [name, model, bounds] of cases) {
    it(`agree step for step: ${name}`, () => {
      const b: CheckBounds = { ...DEFAULT_BOUNDS, ...model.defaults, ...bounds };
      fc.assert(
        fc.property(fc.array(move, { minLength: 20, maxLength: 150, size: 'max' }), (moves) =>
          walk(model, b, moves),
        ),
        { numRuns: runs },
      );
    });
  }
});
