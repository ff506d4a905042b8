import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type AnyMachineSnapshot, type EventObject, initialTransition, transition } from 'xstate';
import type { RaftMessage } from '../../machines/raft-messages.js';
import { DEFAULT_BOUNDS } from '../../src/check/model.js';
import { raftModel } from '../../src/check/models/raft.js';
import { type NodeRecord, NodeTable } from '../../src/check/node-table.js';

/**
 * The checker runs machines through one reused XState scope instead of XState's own
 * `initialTransition` / `transition`, which build a throwaway actor per call. Both must
 * give snapshots the checker cannot tell apart, the same timers and the same messages: this
 * walks one Raft node both ways through random events and compares every step, so an XState
 * release that changes what a scope must hold fails here rather than inside a model check.
 */

const IDS = ['n1', 'n2', 'n3'];
const model = raftModel();
// Timed, the checker keeps the most of a snapshot (the generator state included).
const bounds = { ...DEFAULT_BOUNDS, ...model.defaults, maxTerm: 50, timed: true };
const same = (id: string): string => id;
/** What the checker keeps of a snapshot: states that agree here are one state to it. */
const kept = (snapshot: AnyMachineSnapshot | undefined): unknown =>
  model.abstract?.(snapshot as never, same, true);

type XStateAction = { type: string; params?: Record<string, unknown> };

/** Messages a peer might send n1, in any term near the ones a short walk reaches. */
const peerMessage = fc.record({
  from: fc.constantFrom('n2', 'n3'),
  msg: fc.oneof(
    fc.record({ type: fc.constant('preVoteResponse'), term: fc.nat(4), granted: fc.boolean() }),
    fc.record({ type: fc.constant('voteResponse'), term: fc.nat(4), granted: fc.boolean() }),
    fc.record({ type: fc.constant('heartbeat'), term: fc.nat(4), round: fc.nat(4) }),
    fc.record({ type: fc.constant('heartbeatResponse'), term: fc.nat(4), round: fc.nat(4) }),
    fc.record({ type: fc.constant('preVote'), term: fc.nat(4) }),
    fc.record({ type: fc.constant('vote'), term: fc.nat(4), transfer: fc.boolean() }),
    fc.record({ type: fc.constant('timeoutNow'), term: fc.nat(4) }),
  ) as fc.Arbitrary<RaftMessage>,
});

/** A step: a message from a peer, or the n-th pending timer firing. */
const step = fc.oneof(
  peerMessage.map((m) => ({ kind: 'message' as const, ...m })),
  fc.nat(3).map((n) => ({ kind: 'timer' as const, n })),
);

/** Timers and sends as XState's own actions describe them, applied to the timers before. */
function settle(timers: Map<string, EventObject>, actions: XStateAction[]) {
  const next = new Map(timers);
  const sends: unknown[] = [];
  for (const a of actions) {
    const p = a.params ?? {};
    if (a.type === 'xstate.cancel') next.delete(p.sendId as string);
    else if (a.type === 'xstate.raise' && typeof p.delay === 'number') {
      next.set(p.id as string, p.event as EventObject);
    } else if (a.type === 'xstate.emit' && (p.event as EventObject).type === 'send') {
      sends.push(p.event);
    }
  }
  return { timers: next, sends };
}

function expectSame(rec: NodeRecord, snapshot: AnyMachineSnapshot, timers: Map<string, unknown>) {
  expect(rec.snapshot?.value).toEqual(snapshot.value);
  expect(kept(rec.snapshot)).toEqual(kept(snapshot));
  expect(rec.timers.map((t) => t.id).sort()).toEqual([...timers.keys()].sort());
}

describe('the checker against XState', () => {
  it('gives what XState’s own transition gives, step for step', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 40 }), (steps) => {
        const table = new NodeTable(model, IDS, bounds);
        const input = model.input({ id: 'n1', ids: IDS, persisted: undefined, timed: true });
        const [first, firstActions] = initialTransition(model.logic, input);
        let snapshot = first as AnyMachineSnapshot;
        let { timers } = settle(new Map(), firstActions as XStateAction[]);
        let rec = table.records[table.boot(0, undefined, model.ghost?.initial).next]!;
        expectSame(rec, snapshot, timers);

        for (const s of steps) {
          let event: EventObject;
          let out: { next: number; sends: number[] };
          if (s.kind === 'message') {
            event = { type: 'receive', from: s.from, msg: s.msg } as EventObject;
            const id = table.message(IDS.indexOf(s.from), 0, s.msg);
            out = table.deliver(rec, table.messages[id]!);
          } else {
            const pending = rec.timers[s.n % Math.max(1, rec.timers.length)];
            if (pending === undefined) continue;
            event = pending.event;
            timers.delete(pending.id);
            out = table.fire(rec, pending);
          }
          const [next, actions] = transition(model.logic, snapshot, event as never);
          const settled = settle(timers, actions as XStateAction[]);
          snapshot = next as AnyMachineSnapshot;
          timers = settled.timers;
          rec = table.records[out.next]!;
          expectSame(rec, snapshot, timers);
          expect(out.sends.map((id) => table.messages[id]!.msg)).toEqual(
            settled.sends.flatMap((e) => {
              const send = e as { to: string; msg: unknown };
              return send.to === '*' ? IDS.slice(1).map(() => send.msg) : [send.msg];
            }),
          );
        }
      }),
      { numRuns: Number(process.env.PROPERTY_RUNS ?? 1000) },
    );
  });
});
