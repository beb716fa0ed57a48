/**
 * What the bridge's caller-speech detector costs, in CPU per call-second of real speech (the repo's
 * clips, with line noise between them): `npm run bench:detector` prints it, and the OpenAI ladder
 * leaves the detector out of its CPU ratio with it.
 *
 *   measure  decode the base64 frame + its level (the cost before the detector, on every engine)
 *   observe  + the adaptive detector + the turn-taking rule measuring only (ElevenLabs calls)
 *   decide   + the rule deciding barge-in (OpenAI calls; the agent talking the whole time)
 */
import { callerFrameLevel } from '../services/bridge/turn-taking/caller-vad';
import { TURN_TAKING_DEFAULTS, TurnTaking } from '../services/bridge/turn-taking/turn-taking';
import { loadClip } from '../services/local/sim/audio';

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

export type Variant = 'measure' | 'observe' | 'decide';

function run(variant: Variant, frames: string[], callSeconds: number): number {
  const noop = () => {};
  const turns = new TurnTaking(
    { ...TURN_TAKING_DEFAULTS, decides: variant === 'decide' },
    { pause: noop, hold: noop, resume: noop, interrupt: noop, respond: noop, reprompt: noop },
    { turnLatency: noop, bargeIn: noop, falseInterruption: noop, turnSwallowed: noop, event: noop },
    () => variant === 'decide',
  );
  const total = callSeconds * 50;
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
  return (used.user + used.system) / callSeconds;
}

export const VARIANTS: Variant[] = ['measure', 'observe', 'decide'];

/** Each variant's µs of CPU per call-second, one value per round, the rounds interleaved (the machine's speed drifts). */
export function detectorRounds(rounds: number, callSeconds: number): Record<Variant, number[]> {
  const frames = callerFrames();
  for (const variant of VARIANTS) run(variant, frames, callSeconds); // warm-up: JIT
  const results: Record<Variant, number[]> = { measure: [], observe: [], decide: [] };
  for (let round = 0; round < rounds; round++) {
    for (const variant of round % 2 === 0 ? VARIANTS : [...VARIANTS].reverse()) {
      results[variant].push(run(variant, frames, callSeconds));
    }
  }
  return results;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** What deciding barge-in adds to every caller frame over the frame measure (µs), the median of `rounds`. */
export function detectorMicrosPerCallerFrame(rounds = 3, callSeconds = 500): number {
  const results = detectorRounds(rounds, callSeconds);
  return Math.max(0, median(results.decide) - median(results.measure)) / 50;
}
