/**
 * The softphone's browser code, bundled from services/local/web/ by esbuild on first request and
 * kept in memory: plain TypeScript, no build step before `npm start`.
 */
import { join } from 'node:path';
import { build } from 'esbuild';

const WEB_DIR = join(__dirname, '..', 'web');
export const WEB_ASSETS = ['phone.js', 'audio-worklet.js'] as const;
export type WebAsset = (typeof WEB_ASSETS)[number];

let bundles: Promise<Map<string, string>> | undefined;

async function bundleAll(): Promise<Map<string, string>> {
  const result = await build({
    entryPoints: { phone: join(WEB_DIR, 'phone.ts'), 'audio-worklet': join(WEB_DIR, 'audio-worklet.ts') },
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome110',
    outdir: 'assets',
    write: false,
    logLevel: 'silent',
  });
  return new Map(result.outputFiles.map((file) => [file.path.split(/[\\/]/).pop() ?? '', file.text]));
}

export async function webAsset(name: WebAsset): Promise<string> {
  bundles ??= bundleAll().catch((error: unknown) => {
    bundles = undefined; // a fixed file bundles on the next request
    throw error;
  });
  const text = (await bundles).get(name);
  if (text === undefined) throw new Error(`No bundle named ${name}`);
  return text;
}

export function isWebAsset(name: string): name is WebAsset {
  return (WEB_ASSETS as readonly string[]).includes(name);
}
