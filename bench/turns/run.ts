/**
 * `npm run bench:turns`: turn-taking on real (synthetic) speech. A labelled corpus of caller speech
 * from six TTS voices (bench/turns/corpus.ts) is spoken over the OpenAI agent through the local
 * stack (the bridge as it is) against the OpenAI simulator with a server-like VAD (ends a turn after
 * 600 ms of quiet); each case is scored from what the caller heard (bench/turns/timeline.ts).
 * Prints a table and the targets (PASS / MISS; docs/turn-taking-bench.md), writes JSON and Markdown. Targets are only
 * read from here, never asserted by a test.
 *
 *   npm run bench:turns                          full profile: 6 voices × −20/−28/−36 dBFS, every case
 *   npm run bench:turns -- --quick               a smoke run (CI): one voice at −28 dBFS, one of each case
 *   npm run bench:turns -- --voices flite-slt,espeak-m --levels 20,36 --cases interruption,backchannel
 *   npm run bench:turns -- --backchannels 6      backchannels per voice and level (default 2)
 *   npm run bench:turns -- --concurrency 1       calls at a time (default 3)
 *   npm run bench:turns -- --frozen 3            frozen-engine calls (default 3, quick 1)
 *   npm run bench:turns -- --speedup 3           how much faster than real time answers stream (default 3)
 *   npm run bench:turns -- --json <file>         where the JSON goes (default bench/results/turns.json,
 *                                                quick: a temp dir); the Markdown table goes next to it
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type CaseResult, runCase, runFrozenCase, startTurnStack } from './cases';
import { buildSpeechCorpus } from './corpus';
import { parseTurnBenchOptions, type TurnBenchOptions } from './options';
import { planCases } from './plan';
import { checkTargets, resultsTable, targetLines } from './report';

let options: TurnBenchOptions;
try {
  options = parseTurnBenchOptions(process.argv.slice(2));
} catch (error) {
  process.stderr.write(`npm run bench:turns: ${(error as Error).message}\n`);
  process.exit(2);
}

const progress = (line: string) =>
  process.stderr.write(`[bench:turns ${new Date().toISOString().slice(11, 19)}] ${line}\n`);

async function main(): Promise<void> {
  const started = Date.now();
  const machine = `${cpus().length} × ${cpus()[0]?.model.trim() ?? 'unknown CPU'}, node ${process.version}`;
  const loadBefore = loadavg();
  progress(`${machine}; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')}`);
  const corpus = await buildSpeechCorpus({
    dir: options.corpusDir,
    voices: options.voices,
    levels: options.levels,
    log: progress,
  });
  progress(
    `speech corpus: ${corpus.clips.length} clips in ${corpus.dir} (${((Date.now() - started) / 1000).toFixed(1)} s)`,
  );
  const { cases, frozen } = planCases(corpus, options);
  progress(`${cases.length + frozen.length} cases, ${options.concurrency} calls at a time`);
  const stack = await startTurnStack(corpus, options.audioSpeedup);
  const results: CaseResult[] = [];
  /** Conversations the failover engine opened during the cases where no engine froze (should be 0). */
  let strayFailovers = 0;
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next < cases.length) {
          const c = cases[next++]!;
          const result = await runCase(stack, c);
          results.push(result);
          progress(
            `${String(results.length).padStart(3)}/${cases.length + frozen.length} ${describe(result)}`,
          );
        }
      }),
    );
    strayFailovers = stack.elevenlabs.conversations.length;
    // One at a time: each waits for the failover engine's conversation.
    for (const c of frozen) {
      const result = await runFrozenCase(stack, c);
      results.push(result);
      progress(`${String(results.length).padStart(3)}/${cases.length + frozen.length} ${describe(result)}`);
    }
  } finally {
    await stack.close();
  }
  const order = new Map([...cases, ...frozen].map((c, i) => [c.id, i]));
  results.sort((a, b) => (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0));

  const loadAfter = loadavg();
  const date = new Date().toISOString();
  const durationSeconds = Math.round((Date.now() - started) / 1000);
  const title = `Turn-taking on synthetic speech, ${date.slice(0, 16).replace('T', ' ')} UTC, ${machine}`;
  const table = resultsTable(results);
  const checks = checkTargets(results);
  const jsonFile =
    options.json ??
    (options.quick
      ? join(mkdtempSync(join(tmpdir(), 'bolt-bench-turns-')), 'turns.json')
      : join(__dirname, '../results/turns.json'));
  mkdirSync(dirname(jsonFile), { recursive: true });
  const report = {
    date,
    machine,
    loadAverage: { before: loadBefore, after: loadAfter },
    profile: options.quick ? 'quick' : 'full',
    durationSeconds,
    options,
    corpus: { dir: corpus.dir, tools: corpus.tools, lineNoiseDbfs: corpus.lineNoiseDbfs },
    targets: checks,
    strayFailovers,
    cases: results,
  };
  writeFileSync(jsonFile, `${JSON.stringify(report, null, 2)}\n`);
  const mdFile = `${jsonFile.replace(/\.json$/, '')}.md`;
  const stray = `Failovers during the cases where no engine froze: ${strayFailovers}`;
  const summary = `${title}; ${durationSeconds} s; load average ${loadBefore[0]?.toFixed(2)} → ${loadAfter[0]?.toFixed(2)}`;
  writeFileSync(
    mdFile,
    `${summary}\n\n${table}\n\n${stray}\n\n${checks.map((c) => `- ${c.met ? 'PASS' : 'MISS'} ${c.name.trim()}: ${c.value} (target ${c.target})`).join('\n')}\n`,
  );
  process.stdout.write(
    `\n${summary}\n\n${table}\n\n${targetLines(checks)}\n${stray}\n\nReport: ${jsonFile}, ${mdFile}\n`,
  );
  if (options.quick) {
    process.stdout.write('Quick profile: a smoke run, no target asserted.\n');
    process.exit(0);
  }
  const missed = checks.filter((c) => !c.met).length;
  process.stdout.write(`${missed === 0 ? 'All targets met.' : `${missed} target(s) missed.`}\n`);
  process.exit(missed === 0 ? 0 : 1);
}

function describe(r: CaseResult): string {
  if (r.error) return `${r.id}: ERROR ${r.error}`;
  const parts = [
    `vad turns ${r.vadTurns}`,
    `clears ${r.clears}`,
    `cancels ${r.cancels}`,
    `creates ${r.creates}`,
  ];
  if (r.kind === 'frozen')
    return `${r.id}: failover ${r.failoverMs ?? 'none'} ms, heard again ${r.heardAgainMs ?? 'never'} ms`;
  return `${r.id}: stop ${r.stopMs === null ? '–' : Math.round(r.stopMs ?? 0)} ms (${r.stoppedBy ?? '–'}), cut ${r.cut}, answers ${r.answers}, answered ${r.answered}, talk-over ${Math.round(r.talkOverMs ?? 0)} ms; ${parts.join(', ')}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
