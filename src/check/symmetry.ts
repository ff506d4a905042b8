import { finish, hashText, mixWord, nonZero, SEED_HI, SEED_LO } from './fingerprints.js';
import type { NodeTable } from './node-table.js';

/**
 * A cluster state's 64-bit fingerprint, canonical up to renaming of nodes when they are
 * symmetric. When nodes differ only in their ids, a state and the same state with ids
 * permuted behave alike, so the search keeps one of them: the fingerprint is that of the
 * least, over every permutation, of the state written with ids renamed. The search goes on
 * from whichever representative it met first; only the fingerprint is canonical.
 *
 * Each node state and message is hashed once per permutation from its canonical text (two
 * 32-bit hashes, so 64 bits per item), so a fingerprint costs a few array reads and two
 * MurmurHash3 passes over a handful of words, with nothing allocated. The hashes come from
 * the texts alone, never from the order in which a search met them, so every thread of a
 * parallel search gives a state the same fingerprint. Message bodies are taken as they
 * are: a symmetric protocol's messages must not name nodes.
 */
export class StateFingerprints {
  private readonly perms: number[][];
  private readonly nodeHash: number[] = [];
  private readonly msgHash: number[] = [];
  private readonly sigMemo: number[] = [];
  private readonly sigs: Int32Array;
  private readonly placed: Int32Array;
  private cand: Int32Array;
  private best: Int32Array;
  /** The last fingerprint's halves (the low one never 0). */
  hi = 0;
  lo = 1;

  constructor(
    private readonly table: NodeTable,
    n: number,
    symmetric: boolean,
  ) {
    this.perms = symmetric ? permutations(n) : [Array.from({ length: n }, (_, i) => i)];
    this.sigs = new Int32Array(n);
    this.placed = new Int32Array(n);
    this.cand = new Int32Array(2 * n + 16);
    this.best = new Int32Array(2 * n + 16);
  }

  /**
   * Fingerprints the state of `nodes`, the first `count` messages of `msgs` (a multiset, in
   * any order) and `spent` faults, into `hi` and `lo`.
   */
  of(nodes: ArrayLike<number>, msgs: ArrayLike<number>, count: number, spent: number): void {
    const n = nodes.length;
    const words = 2 * (n + count);
    if (this.cand.length < words) {
      this.cand = new Int32Array(2 * words);
      this.best = new Int32Array(2 * words);
    }
    const p = this.perms.length;
    let found = false;
    if (p > 1) for (let i = 0; i < n; i++) this.sigs[i] = this.signature(nodes[i]!);
    for (let pi = 0; pi < p; pi++) {
      const perm = this.perms[pi]!;
      if (p > 1) {
        // Only orderings that sort nodes by their id-blind signature can give the least
        // form, so most states try one permutation instead of all of them.
        const placed = this.placed;
        for (let i = 0; i < n; i++) placed[perm[i]!] = this.sigs[i]!;
        let sorted = true;
        for (let i = 1; i < n && sorted; i++) sorted = placed[i - 1]! <= placed[i]!;
        if (!sorted) continue;
      }
      const cand = this.cand;
      for (let i = 0; i < n; i++) {
        const slot = 2 * (nodes[i]! * p + pi);
        if (this.nodeHash[slot] === undefined) this.hashNode(nodes[i]!, pi);
        const at = 2 * perm[i]!;
        cand[at] = this.nodeHash[slot]!;
        cand[at + 1] = this.nodeHash[slot + 1]!;
      }
      // The messages renamed, in order of their hashes (insertion sort: a handful).
      for (let j = 0; j < count; j++) {
        const slot = 2 * (msgs[j]! * p + pi);
        if (this.msgHash[slot] === undefined) this.hashMessage(msgs[j]!, pi);
        const h = this.msgHash[slot]!;
        const l = this.msgHash[slot + 1]!;
        let at = 2 * (n + j);
        while (at > 2 * n && (cand[at - 2]! > h || (cand[at - 2] === h && cand[at - 1]! > l))) {
          cand[at] = cand[at - 2]!;
          cand[at + 1] = cand[at - 1]!;
          at -= 2;
        }
        cand[at] = h;
        cand[at + 1] = l;
      }
      if (!found || less(cand, this.best, words)) {
        this.cand = this.best;
        this.best = cand;
        found = true;
      }
    }
    const best = this.best;
    let hi = SEED_HI;
    let lo = SEED_LO;
    for (let i = 0; i < words; i++) {
      hi = mixWord(hi, best[i]!);
      lo = mixWord(lo, best[i]!);
    }
    hi = mixWord(hi, spent);
    lo = mixWord(lo, spent);
    this.hi = finish(hi, words + 1);
    this.lo = nonZero(finish(lo, count));
  }

  /** The node's state with every id blanked out: equal for nodes a renaming could swap. */
  private signature(rec: number): number {
    const known = this.sigMemo[rec];
    if (known !== undefined) return known;
    const text = `?${this.table.nodeKey(this.table.records[rec]!, () => '?')}`;
    const sig = hashText(text, SEED_HI);
    this.sigMemo[rec] = sig;
    return sig;
  }

  private hashNode(rec: number, pi: number): void {
    const perm = this.perms[pi]!;
    const { table } = this;
    const r = table.records[rec]!;
    const rename = (id: string) => {
      const at = table.ids.indexOf(id);
      return at < 0 ? id : table.ids[perm[at]!]!;
    };
    const text = this.perms.length === 1 ? r.key : `${perm[r.index]}:${table.nodeKey(r, rename)}`;
    const slot = 2 * (rec * this.perms.length + pi);
    this.nodeHash[slot] = hashText(text, SEED_HI);
    this.nodeHash[slot + 1] = hashText(text, SEED_LO);
  }

  private hashMessage(msg: number, pi: number): void {
    const text = this.table.messageKey(this.table.messages[msg]!, this.perms[pi]!);
    const slot = 2 * (msg * this.perms.length + pi);
    this.msgHash[slot] = hashText(text, SEED_HI);
    this.msgHash[slot + 1] = hashText(text, SEED_LO);
  }
}

function less(a: Int32Array, b: Int32Array, words: number): boolean {
  for (let i = 0; i < words; i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]!;
  }
  return false;
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
