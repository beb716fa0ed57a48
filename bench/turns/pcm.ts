/**
 * The little signal processing the turn-taking bench needs on 8 kHz audio: G.711 μ-law both ways,
 * frame levels in dBFS, and the active speech level (ITU-T P.56 in spirit: the mean power of the
 * frames within 15.9 dB of that mean, found by iteration), so a clip can be set to −20, −28 or
 * −36 dBFS of *speech*, not of speech diluted by its pauses.
 */

import { ULAW_TO_PCM16 } from '../../services/core/shared/audio';
import { encodeUlawSample } from '../../services/local/web/mulaw';

export const SAMPLE_RATE = 8000;
export const SAMPLES_PER_MS = 8;
/** One 16-bit sample → one μ-law byte (the softphone's G.711 reference encoder, on its float scale). */
export function ulawEncodeSample(sample: number): number {
  return encodeUlawSample(Math.max(-32768, Math.min(32767, sample)) / 32767);
}

export function ulawDecode(bytes: Uint8Array): Int16Array {
  const out = new Int16Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) out[i] = ULAW_TO_PCM16[bytes[i]!]!;
  return out;
}

export function ulawEncode(samples: ArrayLike<number>): Buffer {
  const out = Buffer.alloc(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = ulawEncodeSample(samples[i]!);
  return out;
}

/** Power (mean square, full scale = 32768²) → dBFS; −∞ is returned as −120. */
export function powerDbfs(power: number): number {
  return power <= 0 ? -120 : 10 * Math.log10(power / (32768 * 32768));
}

/** Mean square of each `frameMs` frame (the last, short one included). */
export function framePowers(samples: ArrayLike<number>, frameMs = 10): number[] {
  const size = frameMs * SAMPLES_PER_MS;
  const powers: number[] = [];
  for (let start = 0; start < samples.length; start += size) {
    const end = Math.min(samples.length, start + size);
    let sum = 0;
    for (let i = start; i < end; i++) sum += samples[i]! * samples[i]!;
    powers.push(sum / (end - start));
  }
  return powers;
}

/**
 * Active speech level in dBFS: the mean power over the frames that lie within 15.9 dB of it
 * (P.56's margin), iterated from the mean over all frames louder than −70 dBFS.
 */
export function activeLevelDbfs(samples: ArrayLike<number>): number {
  const powers = framePowers(samples, 10).filter((p) => powerDbfs(p) > -70);
  if (powers.length === 0) return -120;
  let level = powerDbfs(powers.reduce((a, b) => a + b, 0) / powers.length);
  for (let i = 0; i < 20; i++) {
    const active = powers.filter((p) => powerDbfs(p) >= level - 15.9);
    const next = powerDbfs(active.reduce((a, b) => a + b, 0) / active.length);
    if (Math.abs(next - level) < 0.01) return next;
    level = next;
  }
  return level;
}

/** RMS level in dBFS of the whole signal. */
export function rmsDbfs(samples: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < samples.length; i++) sum += samples[i]! * samples[i]!;
  return powerDbfs(sum / Math.max(1, samples.length));
}

/** Where speech is: 10 ms frames at most `belowActiveDb` under the active level, merged over gaps < `gapMs`. */
export function speechSpans(
  samples: ArrayLike<number>,
  options: { belowActiveDb?: number; gapMs?: number } = {},
): Array<{ startMs: number; endMs: number }> {
  const level = activeLevelDbfs(samples);
  const threshold = level - (options.belowActiveDb ?? 25);
  const gap = options.gapMs ?? 300;
  const spans: Array<{ startMs: number; endMs: number }> = [];
  framePowers(samples, 10).forEach((power, index) => {
    if (powerDbfs(power) < threshold) return;
    const startMs = index * 10;
    const last = spans.at(-1);
    if (last && startMs - last.endMs < gap) last.endMs = startMs + 10;
    else spans.push({ startMs, endMs: startMs + 10 });
  });
  return spans;
}

export function scale(samples: Int16Array | Float32Array, gainDb: number): Float32Array {
  const gain = 10 ** (gainDb / 20);
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! * gain;
  return out;
}
