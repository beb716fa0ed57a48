/**
 * Product code never depends on test code: the local stack's simulators live in services/local/sim/
 * and tests import them from there, never the other way round. Every relative import, `require` and
 * dynamic `import()` under services/ (and functions/, lib/, bin/, scripts/) is resolved and must not
 * land in test/; outside services/local/ none may land in the local stack either.
 */
import { readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { ROOT, sourceFiles, specifiersOf } from './import-graph.js';

const PRODUCT_DIRS = ['services', 'functions', 'lib', 'bin', 'scripts'];
const TEST_DIR = join(ROOT, 'test') + sep;
const LOCAL_DIR = join(ROOT, 'services', 'local') + sep;

describe('import boundaries', () => {
  it('finds every kind of import it looks for', () => {
    const source = `import a from '../x.js';\nimport type { B } from "../../test/b.js";\nexport * from './c';\nimport './d.js';\nconst e = require('../e');\nconst f = await import('../../test/f.js');`;
    expect(specifiersOf(source)).toEqual(
      expect.arrayContaining(['../x.js', '../../test/b.js', './c', './d.js', '../e', '../../test/f.js']),
    );
  });

  /** Relative imports of `files` that resolve into `forbidden`. */
  function importsInto(files: string[], forbidden: string): string[] {
    const offenders: string[] = [];
    for (const file of files) {
      for (const specifier of specifiersOf(readFileSync(file, 'utf8'))) {
        if (!specifier.startsWith('.')) continue;
        const target = resolve(dirname(file), specifier);
        if (`${target}${sep}`.startsWith(forbidden) || target.startsWith(forbidden)) {
          offenders.push(`${relative(ROOT, file)} imports ${specifier}`);
        }
      }
    }
    return offenders;
  }

  it('product code imports nothing from test/', () => {
    const files = PRODUCT_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(100);
    expect(importsInto(files, TEST_DIR)).toEqual([]);
  });

  it('deployed code imports nothing from the local stack (its stand-ins are never a fallback in AWS)', () => {
    const files = PRODUCT_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir))).filter(
      (file) => !file.startsWith(LOCAL_DIR),
    );
    expect(files.length).toBeGreaterThan(100);
    expect(importsInto(files, LOCAL_DIR)).toEqual([]);
  });
});
