/**
 * What the call path's and the fallback's Lambdas bundle, read from esbuild's metafile with the
 * stack's options (`lib/house-function.ts`): a cold start loads every byte, and a convenient import
 * in the wiring has pulled a megabyte in before (the after-call wiring's Twilio REST client into the
 * inbound call and every after-call function). `npm run bench:lambda` reports the sizes; this keeps out what these must never load.
 */
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { PRODUCTION_BUNDLE } from '../../bench/production-bundle';

const ROOT = resolve(__dirname, '..', '..');

async function bundledInputs(entry: string): Promise<string[]> {
  const result = await build({
    ...PRODUCTION_BUNDLE,
    sourcemap: false,
    entryPoints: [join(ROOT, entry)],
    external: ['@aws-sdk/*'],
    metafile: true,
    write: false,
    outfile: 'index.js',
    logLevel: 'silent',
  });
  const [output] = Object.values(result.metafile.outputs);
  return Object.entries(output?.inputs ?? {})
    .filter(([, input]) => input.bytesInOutput > 0)
    .map(([path]) => path);
}

const TWILIO_REST = /node_modules\/twilio\/lib\/(rest|base)\//;
const TWIML_BUILDER = /node_modules\/(xmlbuilder|twilio\/lib\/twiml)\//;
const MAILER = /node_modules\/(resend|postal-mime)\//;

describe('Lambda bundles', () => {
  test.each([
    ['functions/inbound-call.ts', [TWILIO_REST, MAILER, TWIML_BUILDER]],
    ['functions/twilio-fallback.ts', [TWILIO_REST, MAILER, TWIML_BUILDER, /node_modules\/@supabase\//]],
  ])(
    '%s bundles neither the Twilio REST client, the mailer nor the TwiML builder',
    async (entry, excluded) => {
      const inputs = await bundledInputs(entry);
      expect(inputs.some((path) => path.endsWith(entry))).toBe(true);
      for (const pattern of excluded) expect(inputs.filter((path) => pattern.test(path))).toEqual([]);
    },
  );
});
