/**
 * `npm run bench:detector`: what the bridge's caller-speech detector costs, in CPU per call-second,
 * on real speech (the repo's clips, with line noise between them), against the measure it replaced
 * (a frame's energy alone, which every caller frame already paid for turn latency).
 *
 *   measure  decode the base64 frame + its level (the cost before the detector, on every engine)
 *   observe  + the adaptive detector + the turn-taking rule measuring only (ElevenLabs calls)
 *   decide   + the rule deciding barge-in (OpenAI calls; the agent talking the whole time)
 *
 * Each variant runs in interleaved rounds (the machine's speed drifts); the median and the spread
 * of the rounds are reported, in µs of CPU per call-second (50 frames), and the added cost per
 * call-second against `measure`. Targets (issue: turn-taking on real speech): `observe` adds
 * nothing measurable over `measure` on ElevenLabs calls, `decide` costs ≤ 2000 µs per call-second.
 */
import { detectorRounds, median, VARIANTS } from './detector-cost';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CALL_SECONDS = Number(process.env.BENCH_CALL_SECONDS ?? 2000);

function main(): void {
  const results = detectorRounds(ROUNDS, CALL_SECONDS);
  const base = median(results.measure);
  const lines = [
    `Caller-speech detector, ${ROUNDS} interleaved rounds of ${CALL_SECONDS} call-seconds each (${new Date().toISOString().slice(0, 16)} UTC)`,
    '',
    '| variant | µs CPU per call-second, median | spread (min–max) | added vs measure |',
    '| --- | --: | --: | --: |',
    ...VARIANTS.map((variant) => {
      const values = results[variant];
      const m = median(values);
      return `| ${variant} | ${m.toFixed(1)} | ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} | ${variant === 'measure' ? '—' : (m - base).toFixed(1)} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
