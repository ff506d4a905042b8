import type { AnyStateMachine } from 'xstate';
import type { ClusterView, Invariant, ProtocolModel, Rename } from '../protocol-model.js';
import { type LesContext, type LesTiming, lesMachine, lesRole } from './machine.js';
import type { LesMessage } from './messages.js';

/**
 * Leader Election by Seniority under the checker. Nodes are `nK:700K` (LES ids are
 * addresses), every node seeds every other, and node K started at second K, so n1 is the
 * most senior. Polling only: pushes are another transport's business.
 *
 * Requests time out through the loop timer. Untimed, that timer may fire at any moment, so
 * how many loops a request survives only multiplies states: here every timeout is one
 * loop, and a request either is answered before the next tick or fails at it (a node that
 * crashed, a lost message, or a slow answer all look like that). The request counter only
 * grows, so `maxTerm` bounds polling rounds: about two requests per peer per round.
 */

interface LesSnapshot {
  value: unknown;
  context: LesContext;
}

const TIMING: LesTiming = {
  loopMs: 1000,
  stateTimeoutMs: 1000,
  pingTimeoutMs: 1000,
  confirmMs: 1000,
};

export const lesIds = (count: number): string[] =>
  Array.from({ length: count }, (_, i) => `n${i + 1}:${7001 + i}`);

export const leaderIsMember: Invariant = {
  name: 'no node names a removed member as leader',
  nodesOnly: true,
  check(view: ClusterView) {
    for (const n of view.nodes) {
      if (!n.up || n.snapshot === undefined) continue;
      const c = (n.snapshot as LesSnapshot).context;
      if (c.leader !== null && !c.members.includes(c.leader)) {
        return `${n.id} names ${c.leader} as leader, but ${c.leader} is not among its members`;
      }
    }
    return undefined;
  },
};

/**
 * What tells two LES states apart. The state value (the role, and for a candidate whether it
 * still asks quickly) follows from the leader, `awaiting` and `fastRounds`, so keeping it
 * splits no state; `announced` is left out, since between steps it repeats the role, the
 * leader and the members.
 */
function abstractLes(s: LesSnapshot, rename: Rename): unknown {
  const c = s.context;
  const name = (id: string | null | false) => (id === null || id === false ? id : rename(id));
  return [
    s.value,
    c.members.map(rename),
    Object.keys(c.states)
      .sort()
      .map((k) => {
        const st = c.states[k]!;
        return [rename(k), st.members.map(rename), name(st.leader), st.start_time];
      }),
    name(c.leader),
    c.elected,
    c.awaiting,
    c.fastRounds,
    c.looped,
    c.nextRid,
    Object.entries(c.pending).map(([rid, p]) => [Number(rid), rename(p.target), p.kind, p.age]),
    c.deferred.map((d) => [rename(d.to), d.rid, d.diag, d.pingRid]),
  ];
}

/** Options of `lesModel`: a variant machine, and a name for it. */
export interface LesModelOptions {
  logic?: AnyStateMachine;
  name?: string;
}

/** The LES model; pass `logic` to check a variant of its machine. */
export function lesModel(options: LesModelOptions = {}): ProtocolModel {
  return {
    name: options.name ?? 'les',
    logic: options.logic ?? lesMachine,
    ids: lesIds,
    input: ({ id, ids }) => ({
      address: id,
      seeds: [...ids],
      startTime: ids.indexOf(id) + 1,
      timing: TIMING,
      allowAlone: false,
      push: false,
    }),
    view: (s: LesSnapshot) => ({ role: lesRole(s.context), leader: s.context.leader }),
    abstract: abstractLes,
    withinBounds: (s: LesSnapshot, bounds) =>
      s.context.nextRid <= 2 * (bounds.maxTerm + 1) * (bounds.nodes - 1) + 1,
    invariants: [leaderIsMember],
    describe: (msg) => {
      const m = msg as LesMessage;
      if (m.type === 'state') {
        const leader = m.state.leader === false ? '-' : m.state.leader;
        return `state rid=${m.rid} leader=${leader} members=${m.state.members.length}`;
      }
      return 'rid' in m ? `${m.type} rid=${m.rid}` : m.type;
    },
    defaults: { nodes: 2, maxTerm: 1, maxFaults: 1, maxInFlight: 4 },
  };
}
