/**
 * `npm run speech-corpus`: builds the turn-taking bench's labelled caller speech (bench/turns/corpus.ts)
 * into `.local/speech-corpus` (git-ignored) and prints a summary of it. `npm run bench:turns` builds
 * what it needs by itself; this is for listening to the clips or rebuilding them ahead of time.
 *
 *   npm run speech-corpus [-- --dir <folder>]
 */
import { parseArgs } from 'node:util';
import { buildSpeechCorpus } from '../bench/turns/corpus';

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { dir: { type: 'string' } } });
  const started = Date.now();
  const corpus = await buildSpeechCorpus({
    dir: values.dir,
    log: (line) => process.stderr.write(`${line}\n`),
  });
  const byKind = new Map<string, number>();
  for (const clip of corpus.clips) byKind.set(clip.kind, (byKind.get(clip.kind) ?? 0) + 1);
  process.stdout.write(
    `${corpus.clips.length} clips (${[...byKind].map(([k, n]) => `${n} ${k}`).join(', ')}) in ${corpus.dir}, ` +
      `${((Date.now() - started) / 1000).toFixed(1)} s\nmanifest: ${corpus.dir}/manifest.json\n`,
  );
  for (const clip of corpus.clips.filter((c) => c.id.startsWith('pause-') || c.kind === 'agent')) {
    process.stdout.write(
      `  ${clip.id.padEnd(28)} ${String(clip.durationMs).padStart(6)} ms, speech ${clip.onsetMs}–${clip.offsetMs} ms, ` +
        `level ${clip.levelDbfs} dBFS${clip.pauses.length ? `, pause ${clip.pauses.map((p) => `${p.startMs}–${p.endMs}`).join(', ')} ms` : ''}\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).message}\n`);
  process.exit(1);
});
