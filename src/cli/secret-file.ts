import { readFileSync } from 'node:fs';
import { quote } from './quote.js';
import { UsageError } from './usage-error.js';

/**
 * The shared secret kept in `path`. One trailing newline is dropped, since editors and
 * `echo` add one that the other members' copies may not have.
 */
export function readSecretFile(path: string, flag = '--secret-file'): string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? (err as Error).message;
    throw new UsageError(`${flag}: cannot read ${quote(path)} (${code})`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new UsageError(`${flag}: ${quote(path)} is empty`);
  return secret;
}
