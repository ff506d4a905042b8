import { describe, expect, it } from 'vitest';
import { initialTransition, setup } from 'xstate';
import { bullyMachine } from '../../machines/bully/machine.js';
import { raftMachine } from '../../machines/raft/machine.js';
import {
  activeStateIds,
  allStates,
  statechartOf,
  toMermaid,
  toSvg,
} from '../../src/diagram/index.js';
import { eventLabel, guardName } from '../../src/diagram/statechart.js';
import { layoutChart } from '../../src/diagram/svg-layout.js';

/** A leader with two parallel regions, one of them timed: the shapes a chart must draw. */
const parallelMachine = setup({
  delays: { beat: 50 },
  guards: { ready: () => true },
}).createMachine({
  id: 'pump',
  initial: 'idle',
  states: {
    idle: { on: { start: { guard: 'ready', target: 'running' } } },
    running: {
      type: 'parallel',
      states: {
        beat: {
          initial: 'on',
          states: { on: { after: { beat: { target: 'on', reenter: true } } } },
        },
        watch: { initial: 'calm', states: { calm: { on: { alarm: '#pump.idle' } } } },
      },
    },
  },
});

describe('statechartOf', () => {
  it('reads the raft machine: its states and guarded transitions', () => {
    const chart = statechartOf(raftMachine);
    expect(chart.id).toBe('raft');
    const ids = allStates(chart.root).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'raft.follower',
        'raft.campaign.preVote',
        'raft.campaign.vote',
        'raft.leader',
      ]),
    );
    expect(chart.root.initial).toBe('follower');
    // An eventless transition, a delayed one and a combined guard, each named as written.
    expect(chart.edges).toContainEqual({
      source: 'raft.campaign.vote',
      target: 'raft.leader',
      event: 'always',
      guard: 'hasQuorum',
    });
    expect(chart.edges).toContainEqual({
      source: 'raft.campaign.preVote',
      target: 'raft.campaign.preVote',
      event: 'after electionTimeout',
      guard: null,
    });
    expect(chart.edges).toContainEqual({
      source: 'raft.follower',
      target: 'raft.campaign',
      event: 'election.timeout',
      guard: 'mayStand && preVoteEnabled',
    });
    // Every edge joins two states of the chart.
    for (const e of chart.edges) {
      expect(ids).toContain(e.source);
      expect(ids).toContain(e.target);
    }
  });

  it('reads parallel regions and their delayed transitions', () => {
    const chart = statechartOf(parallelMachine);
    const running = allStates(chart.root).find((s) => s.id === 'pump.running')!;
    expect(running.type).toBe('parallel');
    expect(running.children.map((c) => c.id)).toEqual(['pump.running.beat', 'pump.running.watch']);
    expect(chart.edges).toContainEqual({
      source: 'pump.running.beat.on',
      target: 'pump.running.beat.on',
      event: 'after beat',
      guard: null,
    });
    expect(chart.edges).toContainEqual({
      source: 'pump.running.watch.calm',
      target: 'pump.idle',
      event: 'alarm',
      guard: null,
    });
  });

  it('follows the machine: a state added to a machine shows up without editing anything', () => {
    const chart = statechartOf(bullyMachine);
    const machineStates = Object.keys(bullyMachine.root.states).sort();
    expect(chart.root.children.map((c) => c.key).sort()).toEqual(machineStates);
  });

  it('names guards and events for people', () => {
    expect(guardName(undefined)).toBeNull();
    expect(guardName('isVoter')).toBe('isVoter');
    expect(guardName({ type: 'hasQuorum', params: {} })).toBe('hasQuorum');
    expect(eventLabel('xstate.after.announce.bully.leader.announcing')).toBe('after announce');
    expect(eventLabel('')).toBe('always');
    expect(eventLabel('receive')).toBe('receive');
  });

  it('lists the active states of a real snapshot, matching the chart ids', () => {
    const chart = statechartOf(raftMachine);
    const ids = new Set(allStates(chart.root).map((s) => s.id));
    const [snapshot] = initialTransition(raftMachine, {
      id: 'n1',
      members: [{ id: 'n1' }],
      timing: {
        heartbeatMs: 50,
        electionTimeoutMinMs: 150,
        electionTimeoutMaxMs: 300,
        leaseMs: 100,
      },
      seed: 1,
      preVote: true,
      voter: true,
    });
    const active = activeStateIds('raft', snapshot.value);
    expect(active).toEqual(['raft', 'raft.follower']);
    for (const id of active) expect(ids).toContain(id);
    expect(activeStateIds('pump', { running: { beat: 'on', watch: 'calm' } })).toEqual([
      'pump',
      'pump.running',
      'pump.running.beat',
      'pump.running.beat.on',
      'pump.running.watch',
      'pump.running.watch.calm',
    ]);
  });
});

describe('toMermaid', () => {
  it('writes a stateDiagram-v2 with nested states and labelled arrows', () => {
    const text = toMermaid(statechartOf(raftMachine));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('  [*] --> raft_follower');
    expect(lines).toContain('  raft_campaign_vote --> raft_leader: always [hasQuorum]');
    // Parallel regions are separated the way Mermaid separates concurrent states.
    expect(toMermaid(statechartOf(parallelMachine)).split('\n')).toContain('    --');
    // Every state is declared once; ids hold no dots.
    const declared = lines.filter((l) => /^\s*state "/.test(l)).map((l) => l.split(' as ')[1]);
    expect(new Set(declared).size).toBe(declared.length);
    for (const id of declared) expect(id).toMatch(/^[A-Za-z0-9_]+( \{)?$/);
  });
});

describe('toSvg', () => {
  it('draws one box per state, inside its parent, and an arrow per joined pair', () => {
    const chart = statechartOf(bullyMachine);
    const svg = toSvg(chart);
    const states = allStates(chart.root);
    const rects = [...svg.matchAll(/<rect class="state[^"]*" data-state="([^"]+)"/g)].map(
      (m) => m[1],
    );
    expect(rects.sort()).toEqual(states.map((s) => s.id).sort());
    const pairs = new Set(chart.edges.map((e) => `${e.source} ${e.target}`));
    expect([...svg.matchAll(/<path class="edge"/g)]).toHaveLength(pairs.size);
    const layout = layoutChart(chart);
    for (const s of states) {
      for (const child of s.children) {
        const outer = layout.boxes.get(s.id)!;
        const inner = layout.boxes.get(child.id)!;
        expect(inner.x).toBeGreaterThanOrEqual(outer.x);
        expect(inner.y).toBeGreaterThanOrEqual(outer.y);
        expect(inner.x + inner.width).toBeLessThanOrEqual(outer.x + outer.width);
        expect(inner.y + inner.height).toBeLessThanOrEqual(outer.y + outer.height);
      }
    }
  });

  it('keeps sibling boxes apart', () => {
    const chart = statechartOf(raftMachine);
    const layout = layoutChart(chart);
    for (const s of allStates(chart.root)) {
      const boxes = s.children.map((c) => layout.boxes.get(c.id)!);
      for (let i = 0; i < boxes.length; i++) {
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i]!;
          const b = boxes[j]!;
          const apart =
            a.x + a.width <= b.x ||
            b.x + b.width <= a.x ||
            a.y + a.height <= b.y ||
            b.y + b.height <= a.y;
          expect(apart).toBe(true);
        }
      }
    }
  });
});
