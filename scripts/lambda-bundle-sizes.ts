// Prints each Lambda's bundle size from the last `npm run synth` (cdk.out), raw and gzipped.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

const outdir = process.argv[2] ?? 'cdk.out';
const templates = readdirSync(outdir).filter((f) => f.endsWith('.template.json'));
if (templates.length === 0) throw new Error(`no template in ${outdir}: run npm run synth first`);

interface Resource {
  Type: string;
  Metadata?: Record<string, string>;
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1)} KiB`;
for (const file of templates) {
  const resources = (
    JSON.parse(readFileSync(join(outdir, file), 'utf8')) as { Resources: Record<string, Resource> }
  ).Resources;
  for (const [id, resource] of Object.entries(resources)) {
    const assetPath = resource.Metadata?.['aws:asset:path'];
    if (resource.Type !== 'AWS::Lambda::Function' || !assetPath) continue;
    const code = join(outdir, assetPath, 'index.js');
    const size = statSync(code).size;
    const gzip = gzipSync(readFileSync(code)).length;
    console.log(`${id.padEnd(36)} ${kib(size).padStart(12)}  gzip ${kib(gzip).padStart(10)}`);
  }
}
