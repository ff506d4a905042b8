import type { NodeTable } from './node-table.js';

/**
 * Canonical keys up to renaming of nodes. When nodes differ only in their ids, a state and
 * the same state with ids permuted behave alike, so the search keeps one of them: the key
 * is the least, over every permutation, of the state written with ids renamed. The search
 * goes on from whichever representative it met first; only the key is canonical.
 *
 * Renamed node states and messages are interned to numbers once per (item, permutation),
 * so a key costs a few array reads and one string per permutation. Message bodies are
 * taken as they are: a symmetric protocol's messages must not name nodes.
 */
export class SymmetryKeys {
  private perms: number[][];
  private names = new Map<string, number>();
  private nodeMemo: number[] = [];
  private msgMemo: number[] = [];
  private sigMemo: number[] = [];

  constructor(
    private readonly table: NodeTable,
    n: number,
  ) {
    this.perms = permutations(n);
  }

  key(nodes: readonly number[], msgs: readonly number[], spent: number): string {
    let best: string | undefined;
    const p = this.perms.length;
    const renamedNodes: number[] = new Array(nodes.length);
    const sigs = nodes.map((n) => this.signature(n));
    const placed: number[] = new Array(nodes.length);
    for (let pi = 0; pi < p; pi++) {
      const perm = this.perms[pi]!;
      // Only orderings that sort nodes by their id-blind signature can give the least key,
      // so most states try one permutation instead of all of them.
      for (let i = 0; i < nodes.length; i++) placed[perm[i]!] = sigs[i]!;
      let sorted = true;
      for (let i = 1; i < placed.length && sorted; i++) sorted = placed[i - 1]! <= placed[i]!;
      if (!sorted) continue;
      for (let i = 0; i < nodes.length; i++) renamedNodes[perm[i]!] = this.node(nodes[i]!, pi);
      const renamedMsgs = msgs.map((m) => this.message(m, pi)).sort((a, b) => a - b);
      const key = `${renamedNodes.join(',')}|${renamedMsgs.join(',')}|${spent}`;
      if (best === undefined || key < best) best = key;
    }
    return best!;
  }

  /** The node's state with every id blanked out: equal for nodes a renaming could swap. */
  private signature(rec: number): number {
    const known = this.sigMemo[rec];
    if (known !== undefined) return known;
    const id = this.intern(`?${this.table.nodeKey(this.table.records[rec]!, () => '?')}`);
    this.sigMemo[rec] = id;
    return id;
  }

  private node(rec: number, pi: number): number {
    const slot = rec * this.perms.length + pi;
    const known = this.nodeMemo[slot];
    if (known !== undefined) return known;
    const perm = this.perms[pi]!;
    const { table } = this;
    const r = table.records[rec]!;
    const rename = (id: string) => {
      const at = table.ids.indexOf(id);
      return at < 0 ? id : table.ids[perm[at]!]!;
    };
    const id = this.intern(`${perm[r.index]}:${table.nodeKey(r, rename)}`);
    this.nodeMemo[slot] = id;
    return id;
  }

  private message(msg: number, pi: number): number {
    const slot = msg * this.perms.length + pi;
    const known = this.msgMemo[slot];
    if (known !== undefined) return known;
    const id = this.intern(this.table.messageKey(this.table.messages[msg]!, this.perms[pi]!));
    this.msgMemo[slot] = id;
    return id;
  }

  private intern(text: string): number {
    const known = this.names.get(text);
    if (known !== undefined) return known;
    const id = this.names.size;
    this.names.set(text, id);
    return id;
  }
}

function permutations(n: number): number[][] {
  if (n <= 1) return [[0].slice(0, n)];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let at = 0; at <= rest.length; at++) {
      out.push([...rest.slice(0, at), n - 1, ...rest.slice(at)]);
    }
  }
  return out;
}
