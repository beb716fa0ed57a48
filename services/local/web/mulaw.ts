/**
 * G.711 μ-law, the audio of Twilio Media Streams (8 kHz, one byte per sample), for the softphone:
 * the microphone is encoded in the AudioWorklet, the agent's audio decoded for playback. Samples
 * are floats in [-1, 1] as the Web Audio API has them.
 */
const BIAS = 0x84;
const CLIP = 32635;

/** One float sample → one μ-law byte (ITU-T G.711, the segment search of the reference encoder). */
export function encodeUlawSample(sample: number): number {
  let pcm = Math.round(Math.max(-1, Math.min(1, sample)) * 32767);
  const sign = pcm < 0 ? 0x80 : 0;
  if (sign) pcm = -pcm;
  pcm = Math.min(pcm, CLIP) + BIAS;
  let exponent = 7;
  for (let mask = 0x4000; (pcm & mask) === 0 && exponent > 0; mask >>= 1) exponent--;
  const mantissa = (pcm >> (exponent + 3)) & 0x0f;
  return ~(sign | (exponent << 4) | mantissa) & 0xff;
}

/** One μ-law byte → one float sample. */
export function decodeUlawSample(byte: number): number {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = ((((u & 0x0f) << 3) + BIAS) << exponent) - BIAS;
  return ((u & 0x80) !== 0 ? -magnitude : magnitude) / 32768;
}

export function decodeUlaw(bytes: Uint8Array): Float32Array {
  const samples = new Float32Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) samples[i] = decodeUlawSample(bytes[i] as number);
  return samples;
}

/**
 * Turns audio at `inputRate` into 8 kHz μ-law frames of `frameBytes` (160 = 20 ms, as Twilio sends).
 * Each output sample is the mean of the input samples it covers: a box filter, enough to keep the
 * speech band clean when going down from 44.1 or 48 kHz.
 */
export class UlawFrameEncoder {
  /** Integer phase: 8000 per input sample, one output sample per `inputRate` (exact, no drift). */
  private phase = 0;
  private sum = 0;
  private count = 0;
  private frame: Uint8Array;
  private filled = 0;

  constructor(
    private readonly inputRate: number,
    private readonly frameBytes = 160,
  ) {
    this.frame = new Uint8Array(frameBytes);
  }

  /** Feeds input samples; returns the frames completed by them. */
  push(samples: ArrayLike<number>): Uint8Array[] {
    const frames: Uint8Array[] = [];
    for (let i = 0; i < samples.length; i++) {
      this.sum += samples[i] as number;
      this.count++;
      this.phase += 8000;
      if (this.phase < this.inputRate) continue;
      this.phase -= this.inputRate;
      this.frame[this.filled++] = encodeUlawSample(this.sum / this.count);
      this.sum = 0;
      this.count = 0;
      if (this.filled === this.frameBytes) {
        frames.push(this.frame);
        this.frame = new Uint8Array(this.frameBytes);
        this.filled = 0;
      }
    }
    return frames;
  }
}
