import { writeFileSync } from 'node:fs';

const verdict = (ok) => (ok ? 'PASS' : 'MISS');

/** Milliseconds as the tables show them: a decimal below 100 ms, whole ones above. */
export const ms = (v) => (Number.isNaN(v) ? 'n/a' : `${v.toFixed(v < 100 ? 1 : 0)} ms`);

/** A row of the results table; `target` and `pass` are absent for figures without a target. */
export function row(metric, value, display, target, pass) {
  return {
    metric,
    value,
    display,
    target: target ?? null,
    verdict: pass === undefined ? null : verdict(pass),
  };
}

/**
 * The worst of `times` held against the bound `electorate budget` prints for the same
 * timing (a BudgetFigure: `ms` and the `formula` it comes from).
 */
export function budgetRow(metric, times, figure) {
  const w = Math.max(...times);
  return row(metric, w, ms(w), `≤ ${ms(figure.ms)} (${figure.formula})`, w <= figure.ms);
}

export function markdownTable(rows) {
  const lines = ['| Measure | Result | Target | |', '| --- | ---: | ---: | --- |'];
  for (const r of rows)
    lines.push(`| ${r.metric} | ${r.display} | ${r.target ?? '—'} | ${r.verdict ?? ''} |`);
  return lines.join('\n');
}

export function writeJson(path, document) {
  writeFileSync(path, `${JSON.stringify(document, null, 2)}\n`);
}
