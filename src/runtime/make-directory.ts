import { mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

/**
 * Creates `dir` and any missing parents, one `mkdir` each. Node's own recursive mkdirSync
 * retries for ever when a parent refuses with ENOENT though it exists (as /proc does), so
 * the node would spin at full CPU instead of failing; here every error surfaces at once.
 */
export function makeDirectory(dir: string): void {
  const missing: string[] = [];
  let at = resolve(dir);
  for (;;) {
    try {
      if (statSync(at).isDirectory()) break;
      throw Object.assign(new Error(`${at} is not a directory`), { code: 'ENOTDIR' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      const up = dirname(at);
      if (up === at) throw err;
      missing.push(at);
      at = up;
    }
  }
  for (const path of missing.reverse()) {
    try {
      mkdirSync(path);
    } catch (err) {
      // Made meanwhile by someone else: fine, as long as it is a directory now.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !statSync(path).isDirectory()) {
        throw err;
      }
    }
  }
}
