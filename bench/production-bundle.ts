import type { BuildOptions } from 'esbuild';

/**
 * How production bundles our code: the Lambdas (`lib/house-function.ts`, which leaves `@aws-sdk/*`
 * to the runtime) and the bridge image (`npm run build:bridge`). The benches build the same way, so
 * they measure what runs.
 */
export const PRODUCTION_BUNDLE = {
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'cjs',
  minify: true,
  sourcemap: true,
  sourcesContent: false,
} as const satisfies BuildOptions;
