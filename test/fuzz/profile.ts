/**
 * Fuzz sizes. `.ci/run` (plain `npm test`) runs the quick profile in seconds; `npm run test:fuzz`
 * sets FUZZ_PROFILE=full: at least 100,000 media-stream frames, and more webhook bodies. The seed
 * makes every run reproducible: FUZZ_SEED=<n> replays the run that printed it.
 */
export const FULL = process.env.FUZZ_PROFILE === 'full';
export const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
export const FRAMES = FULL ? 100_000 : 4_000;
export const BODIES = FULL ? 3_000 : 150;

/** Writes the run's figures to `<FUZZ_REPORT>/<name>.json` (a directory), when set, for the security note. */
export function report(name: string, figures: Record<string, unknown>): void {
  const dir = process.env.FUZZ_REPORT;
  if (!dir) return;
  const fs = require('node:fs') as typeof import('node:fs');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(`${dir}/${name}.json`, `${JSON.stringify({ seed: SEED, ...figures }, null, 2)}\n`);
}
