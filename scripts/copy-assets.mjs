// Copies the dashboard's static files (HTML, CSS, browser JS) next to the compiled server,
// since tsc only emits what it compiles.
import { cpSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = new URL('../', import.meta.url);
cpSync(
  fileURLToPath(new URL('src/dashboard/assets/', root)),
  fileURLToPath(new URL('dist/src/dashboard/assets/', root)),
  { recursive: true },
);
