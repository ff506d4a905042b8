import { accessSync, constants } from 'node:fs';
import { makeDirectory } from '../runtime/make-directory.js';
import { errorMessage } from './error-message.js';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

/** Fails now, as a usage error, rather than at the first vote when the directory is unusable. */
export function checkDataDir(dir: string): void {
  try {
    makeDirectory(dir);
    accessSync(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? errorMessage(err);
    throw new UsageError(`--data-dir: cannot use ${quote(dir)} (${code})`);
  }
}
