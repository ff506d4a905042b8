import { budgetLines, timingBudget } from '../budget/timing-budget.js';
import type { BudgetConfig } from './budget-args.js';
import type { LogSink } from './change-log.js';
import { UsageError } from './usage-error.js';

/** `electorate budget`: what a timing configuration means, before anything runs. */
export function runBudget(config: BudgetConfig, sink: LogSink): number {
  let budget: ReturnType<typeof timingBudget>;
  try {
    budget = timingBudget(config.input, { nodes: config.nodes, delayMs: config.delayMs });
  } catch (err) {
    // The flags were read one by one; a rule between them is still the user's to fix.
    throw new UsageError(`bad timing: ${(err as Error).message}`);
  }
  if (config.json) sink.out(JSON.stringify(budget));
  else for (const line of budgetLines(budget)) sink.out(line);
  return 0;
}
