// TypeDoc plugin: one entry point per package (packages/<dir>/src/index.ts, so that types link across
// packages) would be named "<dir>/src"; name each module after its package instead.
import { readFileSync } from 'node:fs';
import { Converter, ReflectionKind } from 'typedoc';

export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const mod of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const dir = /^([\w-]+)\/src$/.exec(mod.name)?.[1];
      if (dir)
        mod.name = JSON.parse(
          readFileSync(new URL(`../packages/${dir}/package.json`, import.meta.url), 'utf8'),
        ).name;
    }
  });
}
