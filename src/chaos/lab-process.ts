import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type LabRunSpec, runInLab } from './lab-run.js';

// Run as a process inside the hub namespace: the spec file is the argument, and the
// history is written beside it.
const specFile = process.argv[2];
if (specFile !== undefined) {
  const spec = JSON.parse(readFileSync(specFile, 'utf8')) as LabRunSpec;
  let stopping = false;
  const run = runInLab(spec, (line) => process.stderr.write(`${line}\n`));
  process.once('SIGTERM', () => {
    stopping = true;
  });
  run.then(
    (history) => {
      writeFileSync(join(spec.outDir, 'history.json'), JSON.stringify(history));
      process.exit(stopping ? 130 : 0);
    },
    (err: Error) => {
      process.stderr.write(`${err.message}\n`);
      process.exit(1);
    },
  );
}
