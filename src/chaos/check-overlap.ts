import { ms, quoteEvent } from './event-text.js';
import { finding } from './finding.js';
import type { ClaimEvent, NemesisKind } from './history.js';
import type { HistoryIndex } from './history-index.js';
import { storeEndsLeaseEarly } from './store-defects.js';
import type { Tenure } from './tenures.js';
import type { NotPromised, Violation } from './verdict.js';

/** Faults during which Bully and LES may have two leaders: they hold no lease. */
const NETWORK_NEMESES: readonly NemesisKind[] = ['partition', 'one-way', 'loss'];

const tag = (t: Tenure) => `${t.node}#${t.incarnation}`;

/** The claims of `t` that prove it led throughout [s, e]: the last before s, the first after e. */
function witnesses(t: Tenure, s: number, e: number): [ClaimEvent, ClaimEvent] {
  let before = t.claims[0]!;
  for (const c of t.claims) if (c.t1 <= s) before = c;
  const after = t.claims.find((c) => c.t0 >= e) ?? t.claims[t.claims.length - 1]!;
  return [before, after];
}

export interface OverlapFindings {
  violations: Violation[];
  notPromised: NotPromised[];
}

/**
 * Two nodes' definite tenures must not intersect. Raft and KV promise this outright; Bully
 * and LES only while the network is whole, but a leader resuming from a pause and acting
 * beside its successor breaks every protocol's promise. KV's promise rests on the store
 * keeping each lease for its TTL: where a store version is known not to (store-defects.ts),
 * an overlap right after that fault is reported as not promised, and the fencing checks
 * still hold the stale leader's writes to account.
 */
export function checkOverlap(index: HistoryIndex, tenures: Tenure[]): OverlapFindings {
  const { protocol, timing } = index.history;
  const out: OverlapFindings = { violations: [], notPromised: [] };
  const definite = tenures.filter((t) => t.start < t.end).sort((a, b) => a.start - b.start);
  for (let i = 0; i < definite.length; i++) {
    const older = definite[i]!;
    for (let j = i + 1; j < definite.length; j++) {
      const newer = definite[j]!;
      if (newer.start >= older.end) break;
      if (newer.node === older.node) continue;
      const s = newer.start;
      const e = Math.min(older.end, newer.end);
      if (s >= e) continue;
      const [olderIn, olderOut] = witnesses(older, s, e);
      const [newerIn, newerOut] = witnesses(newer, s, e);
      const claims = [olderIn, olderOut, newerIn, newerOut].filter(
        (c, k, all) => all.indexOf(c) === k,
      );
      const both =
        `${quoteEvent(newerIn)} overlaps ${quoteEvent(olderIn)}: ${tag(older)} and ${tag(newer)} ` +
        `both led throughout [${ms(s)}, ${ms(e)}] (${ms(e - s)} ms), ` +
        `as ${quoteEvent(olderOut)} and ${quoteEvent(newerOut)} show`;

      const cont = index
        .of('process')
        .find(
          (p) =>
            p.what === 'cont' &&
            p.node === older.node &&
            p.incarnation === older.incarnation &&
            p.at > older.from &&
            p.at < e &&
            p.at >= s - timing.recoveryBoundMs,
        );
      if (cont !== undefined) {
        out.violations.push(
          finding(
            index,
            'stale-leader-after-pause',
            `stale leader after pause: ${quoteEvent(cont)}, then ${quoteEvent(olderOut)} ` +
              `while ${tag(newer)} led since ${quoteEvent(newerIn)}; ${both}`,
            [cont, ...claims],
            s,
          ),
        );
        continue;
      }
      if (protocol === 'bully' || protocol === 'les') {
        const fault = index
          .of('fault')
          .find(
            (f) =>
              NETWORK_NEMESES.includes(f.nemesis) &&
              f.start <= e &&
              s <= index.faultEnd(f) + timing.recoveryBoundMs,
          );
        if (fault !== undefined) {
          const v = finding(index, 'overlap', both, [...claims, fault], s);
          out.notPromised.push({
            ...v,
            rule: 'overlap',
            reason:
              `${protocol} holds no lease, so it does not promise one leader while ` +
              `${quoteEvent(fault)} is active or within ${timing.recoveryBoundMs} ms of its heal`,
          });
          continue;
        }
      }
      if (protocol === 'kv') {
        // The successor's first claim follows the resumed member's revocation closely.
        const early = index
          .of('fault')
          .map((f) => ({ f, why: storeEndsLeaseEarly(index.history, f) }))
          .find(
            ({ f, why }) =>
              why !== undefined &&
              f.end !== null &&
              f.end <= s &&
              s <= f.end + timing.recoveryBoundMs,
          );
        if (early !== undefined) {
          const v = finding(index, 'overlap', both, [...claims, early.f], s);
          out.notPromised.push({
            ...v,
            rule: 'overlap',
            reason: `${early.why}; ${quoteEvent(early.f)} healed ${ms(s - early.f.end!)} ms before`,
          });
          continue;
        }
      }
      out.violations.push(finding(index, 'overlap', both, claims, s));
    }
  }
  return out;
}
