import { describe, expect, it } from 'vitest';
import { type AnyActorRef, createActor } from 'xstate';
import {
  decodeRaftMessage,
  type ProtocolEmitted,
  type RaftTiming,
  raftMachine,
  raftRole,
} from '../../machines/index.js';
import { readBatch } from '../../src/group/raft/batch.js';
import { Outbox } from '../../src/group/raft/outbox.js';
import { TickClock } from '../../src/group/raft/tick-clock.js';
import { NodeHost } from '../../src/runtime/node-host.js';
import { EventQueue } from '../../src/sim/event-queue.js';
import { VirtualClock } from '../../src/sim/virtual-clock.js';

const TIMING: RaftTiming = {
  heartbeatMs: 50,
  electionTimeoutMinMs: 150,
  electionTimeoutMaxMs: 300,
  leaseMs: 135,
};
const IDS = ['n1', 'n2', 'n3'];
const LINK_DELAY_MS = 1;

interface Election {
  actor: AnyActorRef;
  host: NodeHost;
}

interface Member {
  id: string;
  up: boolean;
  clock: TickClock;
  outbox: Outbox;
  flushing: boolean;
  elections: Map<string, Election>;
}

/**
 * Members that each run every election of a group, in virtual time: the group's own tick
 * clock, outbox and batch reader around the real Raft machine, with frames between members
 * taking LINK_DELAY_MS. What a member sends within one event leaves as one frame per peer,
 * as a process's sends within one turn of its event loop do.
 */
class GroupSimulation {
  readonly queue = new EventQueue();
  time = 0;
  readonly members = new Map<string, Member>();
  /** Frames sent per directed link, `from->to`. */
  readonly frames = new Map<string, number>();
  /** Every (election, term) and the members that led in it. */
  readonly leadersByTerm = new Map<string, Set<string>>();

  constructor(
    readonly names: string[],
    seed: number,
  ) {
    for (const [m, id] of IDS.entries()) {
      const base = new VirtualClock(
        this.queue,
        () => this.time,
        (run) => run(),
      );
      const member: Member = {
        id,
        up: true,
        clock: new TickClock(
          TIMING.heartbeatMs,
          {
            setTimeout: (fn, ms) => base.setTimeout(fn, ms),
            clearTimeout: (h) => base.clearTimeout(h),
            now: () => this.time,
          },
          (err) => {
            throw err;
          },
        ),
        outbox: new Outbox(1 << 20),
        flushing: false,
        elections: new Map(),
      };
      this.members.set(id, member);
      for (const [e, name] of names.entries()) {
        member.elections.set(name, this.election(member, name, seed + m * 1000 + e));
      }
    }
  }

  private election(member: Member, name: string, seed: number): Election {
    const host = new NodeHost(
      { now: () => this.time, others: IDS.filter((i) => i !== member.id) },
      { send: (to, msg) => this.send(member, to, name, msg) },
    );
    const actor = createActor(raftMachine, {
      clock: member.clock,
      input: { id: member.id, members: IDS.map((id) => ({ id })), timing: TIMING, seed },
    });
    actor.on('*', (e) => host.apply(e as ProtocolEmitted));
    actor.subscribe((snapshot) => {
      host.endStep();
      if (raftRole(snapshot.value) !== 'leader') return;
      const key = `${name}@${snapshot.context.term}`;
      const who = this.leadersByTerm.get(key) ?? new Set<string>();
      who.add(member.id);
      this.leadersByTerm.set(key, who);
    });
    actor.start();
    return { actor, host };
  }

  private send(member: Member, to: string, name: string, msg: unknown): void {
    member.outbox.add(to, name, msg);
    if (member.flushing) return;
    member.flushing = true;
    // After whatever else this event makes the member send, as setImmediate would be.
    this.queue.push(this.time, () => this.flush(member));
  }

  private flush(member: Member): void {
    member.flushing = false;
    for (const { to, entries } of member.outbox.drain()) {
      if (!member.up) continue;
      const link = `${member.id}->${to}`;
      this.frames.set(link, (this.frames.get(link) ?? 0) + 1);
      const wire = JSON.stringify({ batch: entries });
      this.queue.push(this.time + LINK_DELAY_MS, () => this.deliver(member.id, to, wire));
    }
  }

  private deliver(from: string, to: string, wire: string): void {
    const member = this.members.get(to)!;
    if (!member.up) return;
    const read = readBatch(JSON.parse(wire), (name) => member.elections.has(name));
    for (const [name, raw] of read.entries) {
      const msg = decodeRaftMessage(raw);
      if (msg !== undefined) member.elections.get(name)!.actor.send({ type: 'receive', from, msg });
    }
  }

  /** Runs every event due up to `until`, in (time, insertion) order. */
  run(until: number): void {
    for (;;) {
      const next = this.queue.peek();
      if (next === undefined || next.at > until) break;
      this.queue.pop();
      this.time = next.at;
      if (!next.cancelled) next.run();
    }
    this.time = until;
  }

  /** A member stops dead: its machines and timers go, its frames in flight are lost. */
  crash(id: string): void {
    const member = this.members.get(id)!;
    member.up = false;
    for (const { actor } of member.elections.values()) actor.stop();
    member.clock.stop();
  }

  /** Each election's leader when one live member holds its lease and every live one names it. */
  leaders(): Map<string, string> | undefined {
    const live = [...this.members.values()].filter((m) => m.up);
    const leaders = new Map<string, string>();
    for (const name of this.names) {
      const views = live.map((m) => {
        const { actor, host } = m.elections.get(name)!;
        const snap = actor.getSnapshot();
        const leads = raftRole(snap.value) === 'leader' && host.lease.holds();
        return { id: m.id, leader: snap.context.leader as string | null, leads };
      });
      const holders = views.filter((v) => v.leads);
      if (holders.length !== 1) return undefined;
      if (!views.every((v) => v.leader === holders[0]!.id)) return undefined;
      leaders.set(name, holders[0]!.id);
    }
    return leaders;
  }

  ticks(id: string): number {
    return this.members.get(id)!.clock.ticks;
  }
}

const NAMES = Array.from({ length: 30 }, (_, i) => `shard-${i}`);

describe('raft election groups in virtual time', () => {
  it.each([1, 2, 3])(
    'seed %i: one leader per election, two frames per tick per link at rest, failover',
    (seed) => {
      const sim = new GroupSimulation(NAMES, seed);
      sim.run(2000);
      const first = sim.leaders();
      expect(first, 'every election led after 2 s').toBeDefined();

      const framesBefore = new Map(sim.frames);
      const ticksBefore = IDS.map((id) => sim.ticks(id));
      sim.run(3000);
      for (const [m, from] of IDS.entries()) {
        const ticks = sim.ticks(from) - ticksBefore[m]!;
        expect(ticks).toBeGreaterThanOrEqual(19);
        for (const to of IDS.filter((id) => id !== from)) {
          const link = `${from}->${to}`;
          const frames = (sim.frames.get(link) ?? 0) - (framesBefore.get(link) ?? 0);
          expect(frames, link).toBeLessThanOrEqual(2 * ticks + 1);
        }
      }
      expect(sim.leaders()).toEqual(first);

      const counts = IDS.map((id) => [...first!.values()].filter((l) => l === id).length);
      const victim = IDS[counts.indexOf(Math.max(...counts))]!;
      sim.crash(victim);
      sim.run(4500);
      const next = sim.leaders();
      expect(next, 'every election led 1.5 s after the crash').toBeDefined();
      for (const [name, leader] of first!) {
        if (leader === victim) expect(next!.get(name), name).not.toBe(victim);
        else expect(next!.get(name), name).toBe(leader);
      }
      for (const [key, who] of sim.leadersByTerm) expect([...who], key).toHaveLength(1);
    },
  );

  it('replays the same run from the same seed', () => {
    const runs = [0, 1].map(() => {
      const sim = new GroupSimulation(NAMES.slice(0, 10), 7);
      sim.run(2500);
      return { leaders: sim.leaders(), frames: [...sim.frames] };
    });
    expect(runs[0]).toEqual(runs[1]);
  });
});
