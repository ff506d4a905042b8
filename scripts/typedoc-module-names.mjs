// A TypeDoc plugin: names each module of the API reference after the import path that
// reaches it (`electorate/sim` rather than `src/sim`), as package.json's "exports" maps them.
import { readFileSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';

export function load(app) {
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const names = new Map();
  for (const [subpath, target] of Object.entries(manifest.exports)) {
    // "./dist/src/sim/index.d.ts" is the module TypeDoc calls "src/sim".
    const source = target.types.replace(/^\.\/dist\//, '').replace(/\/index\.d\.ts$/, '');
    names.set(source, `${manifest.name}${subpath.slice(1)}`);
  }
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getChildrenByKind(ReflectionKind.Module)) {
      module.name = names.get(module.name) ?? module.name;
    }
  });
}
