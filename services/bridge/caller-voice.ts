import { ULAW_BYTES_PER_MS } from '../core/audio.js';

/**
 * Whether a caller frame carries speech, by its energy: RMS at or above -30 dBFS. Quiet word onsets,
 * breaths and line noise stay below it, so the time it counts is the time the caller is really
 * talking. Used for the two things the bridge measures itself, the same way on every engine: how
 * long a caller talks over the agent (barge-in) and when they last spoke (turn latency).
 */
const SPEECH_RMS = 32_768 * 10 ** (-30 / 20);
const SPEECH_ENERGY_PER_SAMPLE = SPEECH_RMS * SPEECH_RMS;

/** G.711 μ-law byte → squared linear amplitude. */
const ENERGY = new Float64Array(256);
for (let byte = 0; byte < 256; byte++) {
  const u = ~byte & 0xff;
  const exponent = (u >> 4) & 0x07;
  const magnitude = (((u & 0x0f) << 3) + 0x84) << exponent;
  const linear = magnitude - 0x84;
  ENERGY[byte] = linear * linear;
}

/** Whether one μ-law frame (its first `length` bytes) is as loud as speech. */
export function isSpeech(audio: Uint8Array, length = audio.length): boolean {
  if (length === 0) return false;
  let energy = 0;
  for (let i = 0; i < length; i++) energy += ENERGY[audio[i]!]!;
  return energy / length >= SPEECH_ENERGY_PER_SAMPLE;
}

/** Duration of a μ-law frame of `length` bytes. */
export function frameMs(length: number): number {
  return length / ULAW_BYTES_PER_MS;
}

/**
 * One scratch buffer for decoding caller frames to measure them (the payload itself is forwarded as
 * the same string), so measuring allocates nothing per frame. Sized for the largest frame the
 * bridge's 64 KiB message limit lets in. Safe to share: a frame is decoded and measured synchronously.
 */
export const CALLER_SCRATCH = Buffer.allocUnsafe(48 * 1024);

/** Decodes a base64 μ-law payload into `CALLER_SCRATCH`; returns the byte count. */
export function decodeCallerFrame(payload: string): number {
  return CALLER_SCRATCH.write(payload, 'base64');
}
