import type { ClaimEvent } from './history.js';
import type { HistoryIndex } from './history-index.js';

/**
 * A run of consecutive claims by one node incarnation with no election, deposition, exit or
 * kill between them and one token throughout. The node surely led during [start, end]: from
 * the end of its first claim to the start of its last; a one-claim tenure proves no interval.
 */
export interface Tenure {
  node: string;
  incarnation: number;
  token: number | null;
  claims: ClaimEvent[];
  /** t1 of the first claim. */
  start: number;
  /** t0 of the last claim. */
  end: number;
  /** t0 of the first claim and t1 of the last: where it may have led. */
  from: number;
  to: number;
}

const mid = (c: ClaimEvent): number => (c.t0 + c.t1) / 2;

function tenureOf(claims: ClaimEvent[]): Tenure {
  const first = claims[0]!;
  const last = claims[claims.length - 1]!;
  return {
    node: first.node,
    incarnation: first.incarnation,
    token: first.token,
    claims,
    start: first.t1,
    end: last.t0,
    from: first.t0,
    to: last.t1,
  };
}

export function tenuresOf(index: HistoryIndex): Tenure[] {
  const key = (node: string, incarnation: number) => `${node}#${incarnation}`;
  const claimsBy = new Map<string, ClaimEvent[]>();
  for (const c of index.of('claim')) {
    const k = key(c.node, c.incarnation);
    const list = claimsBy.get(k);
    if (list) list.push(c);
    else claimsBy.set(k, [c]);
  }
  const boundsBy = new Map<string, number[]>();
  const addBound = (node: string, incarnation: number, at: number) => {
    const k = key(node, incarnation);
    const list = boundsBy.get(k);
    if (list) list.push(at);
    else boundsBy.set(k, [at]);
  };
  for (const e of index.of('elected')) addBound(e.node, e.incarnation, e.at);
  for (const e of index.of('deposed')) addBound(e.node, e.incarnation, e.at);
  for (const e of index.of('process')) {
    if (e.what === 'exit' || e.what === 'kill') addBound(e.node, e.incarnation, e.at);
  }

  const tenures: Tenure[] = [];
  for (const [k, claims] of claimsBy) {
    const bounds = boundsBy.get(k) ?? [];
    let run: ClaimEvent[] = [];
    for (const c of claims) {
      const prev = run[run.length - 1];
      // A boundary splits two claims when it falls between their midpoints: a claim's check
      // happened somewhere inside [t0, t1], and the middle is the fairest guess.
      const split =
        prev !== undefined &&
        (prev.token !== c.token || bounds.some((b) => mid(prev) < b && b <= mid(c)));
      if (split) {
        tenures.push(tenureOf(run));
        run = [];
      }
      run.push(c);
    }
    if (run.length > 0) tenures.push(tenureOf(run));
  }
  return tenures.sort((a, b) => a.from - b.from);
}
