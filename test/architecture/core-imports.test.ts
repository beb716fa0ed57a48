/**
 * The core (services/core/) is the application: use cases and the ports they need. It imports only
 * node builtins, a few pure libraries and itself, so any adapter can stand behind a port and the
 * core runs the same in a Lambda, the bridge, the local stack and a test. Its modules form no
 * circle: a circle would make two modules one in all but name. And the infrastructure (lib/) reads
 * the core's pure contracts (table layout, routes, names), never the runtime adapters.
 */
import { builtinModules } from 'node:module';
import { join, relative, sep } from 'node:path';
import { findCycles, importsOf, ROOT, resolveRelative, sourceFiles } from './import-graph.js';

const CORE_DIR = join(ROOT, 'services', 'core') + sep;
const LIB_DIR = join(ROOT, 'lib') + sep;
const ADAPTERS_DIR = join(ROOT, 'services', 'adapters') + sep;
/** Pure libraries the core may use: validation, dates and time zones, phone numbers. */
const CORE_PACKAGES = ['zod', 'luxon', 'libphonenumber-js'];
/**
 * The one exception, in the one module that holds it: the structured logger every runtime shares.
 * Everything else in the core logs through that module, never the library.
 */
const LOGGING_MODULE = join(CORE_DIR, 'shared', 'logging.ts');
const LOGGING_PACKAGE = '@aws-lambda-powertools/logger';

const coreFiles = sourceFiles(CORE_DIR);
const coreImports = importsOf(coreFiles);

/** The package a bare specifier names: `@scope/name` or `name`, without a subpath. */
function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

describe('the core', () => {
  it('is read (the scan itself works)', () => {
    expect(coreFiles.length).toBeGreaterThan(40);
    expect(
      findCycles(
        new Map([
          ['a', ['b']],
          ['b', ['c']],
          ['c', ['a']],
          ['d', ['a']],
        ]),
      ),
    ).toEqual([['a', 'b', 'c', 'a']]);
  });

  it('imports only node builtins, its pure libraries and itself', () => {
    const builtins = new Set(builtinModules);
    const offenders: string[] = [];
    for (const [file, specifiers] of coreImports) {
      for (const specifier of specifiers) {
        const where = `${relative(ROOT, file)} imports ${specifier}`;
        if (specifier.startsWith('.')) {
          const target = resolveRelative(file, specifier);
          if (!target?.startsWith(CORE_DIR)) offenders.push(where);
        } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
          const allowed =
            CORE_PACKAGES.includes(packageOf(specifier)) ||
            (file === LOGGING_MODULE && specifier === LOGGING_PACKAGE);
          if (!allowed) offenders.push(where);
        }
      }
    }
    expect(offenders).toEqual([]);
  });

  it('has no import circles', () => {
    const graph = new Map<string, string[]>();
    for (const [file, specifiers] of coreImports) {
      const targets = specifiers
        .filter((specifier) => specifier.startsWith('.'))
        .map((specifier) => resolveRelative(file, specifier))
        .filter((target): target is string => target?.startsWith(CORE_DIR) ?? false);
      graph.set(file, [...new Set(targets)]);
    }
    const cycles = findCycles(graph).map((cycle) =>
      cycle.map((file) => relative(CORE_DIR, file)).join(' → '),
    );
    expect(cycles).toEqual([]);
  });
});

describe('the infrastructure (lib/)', () => {
  it('imports no runtime adapter: shared constants live in the core', () => {
    const offenders: string[] = [];
    for (const [file, specifiers] of importsOf(sourceFiles(LIB_DIR))) {
      for (const specifier of specifiers.filter((s) => s.startsWith('.'))) {
        if (resolveRelative(file, specifier)?.startsWith(ADAPTERS_DIR)) {
          offenders.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
    }
    expect(offenders).toEqual([]);
  });
});
