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
import { callerFrameLevel } from '../services/bridge/turn-taking/caller-vad';
import { TURN_TAKING_DEFAULTS, TurnTaking } from '../services/bridge/turn-taking/turn-taking';
import { loadClip } from '../services/local/sim/audio';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const CALL_SECONDS = Number(process.env.BENCH_CALL_SECONDS ?? 2000);

/** A minute of caller audio: the clips one after another with quiet between, as 20 ms base64 frames. */
function callerFrames(): string[] {
  const quiet = Buffer.alloc(8000, 0xfe); // −72 dBFS: a quiet line, not digital silence
  const audio = Buffer.concat(
    ['caller-hello', 'caller-booking', 'caller-backchannel', 'caller-mid-sentence-pause'].flatMap((name) => [
      loadClip(name),
      quiet,
    ]),
  );
  const frames: string[] = [];
  for (let i = 0; i + 160 <= audio.length; i += 160)
    frames.push(audio.subarray(i, i + 160).toString('base64'));
  return frames;
}

type Variant = 'measure' | 'observe' | 'decide';

function run(variant: Variant, frames: string[]): number {
  const noop = () => {};
  const turns = new TurnTaking(
    { ...TURN_TAKING_DEFAULTS, decides: variant === 'decide' },
    { pause: noop, hold: noop, resume: noop, interrupt: noop, respond: noop, reprompt: noop },
    { turnLatency: noop, bargeIn: noop, falseInterruption: noop, turnSwallowed: noop, event: noop },
    () => variant === 'decide',
  );
  const total = CALL_SECONDS * 50;
  let now = 0;
  let sink = 0;
  const start = process.cpuUsage();
  for (let i = 0; i < total; i++) {
    const payload = frames[i % frames.length]!;
    now += 20;
    if (variant === 'measure') sink += callerFrameLevel(payload);
    else turns.callerFrame(callerFrameLevel(payload), 20, now);
  }
  const used = process.cpuUsage(start);
  if (sink === Number.POSITIVE_INFINITY) process.stdout.write('');
  return (used.user + used.system) / CALL_SECONDS;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

function main(): void {
  const frames = callerFrames();
  const variants: Variant[] = ['measure', 'observe', 'decide'];
  for (const variant of variants) run(variant, frames); // warm-up: JIT
  const results: Record<Variant, number[]> = { measure: [], observe: [], decide: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const variant of round % 2 === 0 ? variants : [...variants].reverse()) {
      results[variant].push(run(variant, frames));
    }
  }
  const base = median(results.measure);
  const lines = [
    `Caller-speech detector, ${ROUNDS} interleaved rounds of ${CALL_SECONDS} call-seconds each (${new Date().toISOString().slice(0, 16)} UTC)`,
    '',
    '| variant | µs CPU per call-second, median | spread (min–max) | added vs measure |',
    '| --- | --: | --: | --: |',
    ...variants.map((variant) => {
      const values = results[variant];
      const m = median(values);
      return `| ${variant} | ${m.toFixed(1)} | ${Math.min(...values).toFixed(1)}–${Math.max(...values).toFixed(1)} | ${variant === 'measure' ? '—' : (m - base).toFixed(1)} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

main();
