/**
 * Each side of the ladder as a bundle built the way the bridge image is built (`npm run
 * build:bridge`: esbuild, minified, source maps without sources, no kept names): production runs
 * the bundle, not the TypeScript through tsx. tsx compiles with `keepNames`, which gives every
 * named closure a `name` property of its own (about 0.25 KiB each, some 80 per call), so a ladder
 * run through it measures the loader's heap and CPU, not the bridge's. `--from-source` runs tsx,
 * for profiles that name the TypeScript functions.
 */
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { PRODUCTION_BUNDLE } from '../production-bundle';
import type { Mode } from './rung';

export type SideScripts = Record<Mode, string>;

/** `outDir` must be inside the project: the bundles resolve their external packages from node_modules. */
export async function buildSideBundles(outDir: string): Promise<SideScripts> {
  const scripts: Partial<SideScripts> = {};
  for (const side of ['ours', 'relay'] as const) {
    const outfile = join(outDir, `${side}.js`);
    await build({
      ...PRODUCTION_BUNDLE,
      entryPoints: [join(__dirname, 'bridge-process.ts')],
      outfile,
      // ws's optional native helpers, left out of the bridge image too; the local stack's own tools
      // (esbuild for its pages, dynalite when no DynamoDB endpoint is set) stay packages, as they
      // carry native code and are not the bridge.
      external: ['bufferutil', 'utf-8-validate', 'esbuild', 'dynalite'],
      define: { 'process.env.BENCH_SIDE': JSON.stringify(side) },
      plugins: [sourceDirnames],
      logLevel: 'warning',
    });
    scripts[side] = outfile;
  }
  return scripts as SideScripts;
}

/**
 * The local stack's simulators and pages read files beside their source (`join(__dirname, …)`) when
 * loaded; in a bundle `__dirname` would be the bundle's folder, so each module gets its own.
 */
const sourceDirnames: Plugin = {
  name: 'source-dirnames',
  setup(build) {
    build.onLoad({ filter: /\/(services|bench|test)\/.*\.ts$/ }, async ({ path }) => {
      const source = await readFile(path, 'utf8');
      if (!source.includes('__dirname')) return undefined;
      return { contents: source.replaceAll('__dirname', JSON.stringify(dirname(path))), loader: 'ts' };
    });
  },
};
