import { describe, expect, it } from 'vitest';
import { initialTransition } from 'xstate';
import { bullyMachine } from '../../machines/bully.js';
import { raftMachine } from '../../machines/raft.js';
import {
  activeStateIds,
  allStates,
  statechartOf,
  toMermaid,
  toSvg,
} from '../../src/diagram/index.js';
import { eventLabel, guardName } from '../../src/diagram/statechart.js';
import { layoutChart } from '../../src/diagram/svg-layout.js';

describe('statechartOf', () => {
  it('reads the raft machine: its states, parallel leader and guarded transitions', () => {
    const chart = statechartOf(raftMachine);
    expect(chart.id).toBe('raft');
    const ids = allStates(chart.root).map((s) => s.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'raft.follower.waiting',
        'raft.campaign.preVote',
        'raft.campaign.vote',
        'raft.leader.heartbeat.beat',
        'raft.leader.quorum.watch',
      ]),
    );
    const leader = allStates(chart.root).find((s) => s.id === 'raft.leader')!;
    expect(leader.type).toBe('parallel');
    expect(chart.root.initial).toBe('follower');
    // An eventless transition, a delayed one and a combined guard, each named as written.
    expect(chart.edges).toContainEqual({
      source: 'raft.campaign.vote',
      target: 'raft.leader',
      event: 'always',
      guard: 'hasQuorum',
    });
    expect(chart.edges).toContainEqual({
      source: 'raft.leader.heartbeat.beat',
      target: 'raft.leader.heartbeat.beat',
      event: 'after heartbeatInterval',
      guard: null,
    });
    expect(chart.edges).toContainEqual({
      source: 'raft.follower.waiting',
      target: 'raft.campaign',
      event: 'election.timeout',
      guard: 'isVoter && preVoteEnabled',
    });
    // Every edge joins two states of the chart.
    for (const e of chart.edges) {
      expect(ids).toContain(e.source);
      expect(ids).toContain(e.target);
    }
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
    expect(active).toContain('raft.follower.waiting');
    for (const id of active) expect(ids).toContain(id);
    expect(activeStateIds('raft', { leader: { heartbeat: 'beat', quorum: 'watch' } })).toEqual([
      'raft',
      'raft.leader',
      'raft.leader.heartbeat',
      'raft.leader.heartbeat.beat',
      'raft.leader.quorum',
      'raft.leader.quorum.watch',
    ]);
  });
});

describe('toMermaid', () => {
  it('writes a stateDiagram-v2 with nested states, parallel regions and labelled arrows', () => {
    const text = toMermaid(statechartOf(raftMachine));
    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toContain('  [*] --> raft_follower');
    expect(lines).toContain('    --');
    expect(lines).toContain('  raft_campaign_vote --> raft_leader: always [hasQuorum]');
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
