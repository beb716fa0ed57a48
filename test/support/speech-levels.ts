import { loadClip } from '../../services/local/sim/audio';
import { decodeUlaw, encodeUlawSample } from '../../services/local/web/mulaw';

/** Active speech level of float samples (dBFS): the RMS of the 20 ms frames within 20 dB of the loudest. */
function activeLevelDb(samples: Float32Array): number {
  const frames: number[] = [];
  for (let i = 0; i + 160 <= samples.length; i += 160) {
    let sum = 0;
    for (let j = i; j < i + 160; j++) sum += samples[j]! * samples[j]!;
    frames.push(sum / 160);
  }
  const loudest = Math.max(...frames);
  const active = frames.filter((energy) => energy >= loudest / 100);
  return 10 * Math.log10(active.reduce((a, b) => a + b, 0) / active.length);
}

/** Deterministic white-ish noise (a linear congruential generator), so tests repeat exactly. */
function noise(count: number, levelDb: number, seed = 1): Float32Array {
  const out = new Float32Array(count);
  const amplitude = 10 ** (levelDb / 20) * Math.sqrt(3); // uniform noise: RMS = amplitude / √3
  let state = seed;
  for (let i = 0; i < count; i++) {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    out[i] = (state / 2 ** 30 - 1) * amplitude;
  }
  return out;
}

/**
 * A test clip at an active speech level of `levelDb` over line noise at `noiseDb`, as μ-law, with
 * `leadMs` of noise alone before it (the noise floor a call has before anyone speaks).
 */
export function clipAtLevel(name: string, levelDb: number, noiseDb = -60, leadMs = 600): Buffer {
  const speech = decodeUlaw(loadClip(name));
  const gain = 10 ** ((levelDb - activeLevelDb(speech)) / 20);
  const lead = leadMs * 8;
  const line = noise(lead + speech.length, noiseDb);
  const out = Buffer.alloc(line.length);
  for (let i = 0; i < line.length; i++) {
    const voice = i >= lead ? speech[i - lead]! * gain : 0;
    out[i] = encodeUlawSample(voice + line[i]!);
  }
  return out;
}

/** Line noise alone, as μ-law. */
export function lineNoise(ms: number, noiseDb = -60, seed = 7): Buffer {
  const line = noise(ms * 8, noiseDb, seed);
  return Buffer.from(line.map((sample) => encodeUlawSample(sample)));
}

/** The frames (160 bytes) of a μ-law buffer. */
export function framesOf(audio: Buffer): Buffer[] {
  const frames: Buffer[] = [];
  for (let i = 0; i + 160 <= audio.length; i += 160) frames.push(audio.subarray(i, i + 160));
  return frames;
}
