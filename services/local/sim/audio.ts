import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Twilio sends 20 ms frames of 8 kHz μ-law: 160 bytes each, 8 bytes per ms. */
export const FRAME_BYTES = 160;
export const FRAME_MS = 20;
export const ULAW_BYTES_PER_MS = 8;

const AUDIO_DIR = join(__dirname, 'audio');

/** A recorded clip from services/local/sim/audio (raw μ-law). */
export function loadClip(name: string): Buffer {
  return readFileSync(join(AUDIO_DIR, `${name}.ulaw`));
}

/** Splits raw μ-law into base64 payloads of `frameBytes` (the last one may be shorter). */
export function toFrames(audio: Buffer, frameBytes = FRAME_BYTES): string[] {
  const frames: string[] = [];
  for (let offset = 0; offset < audio.length; offset += frameBytes) {
    frames.push(audio.subarray(offset, offset + frameBytes).toString('base64'));
  }
  return frames;
}

/** `ms` of μ-law silence (0xFF is digital silence in G.711 μ-law). */
export function silence(ms: number): Buffer {
  return Buffer.alloc(ms * ULAW_BYTES_PER_MS, 0xff);
}

/** Whether a μ-law frame is (near) silent: every sample within a few steps of zero amplitude. */
export function isSilentUlaw(frame: Buffer): boolean {
  for (const byte of frame) {
    // μ-law stores the magnitude inverted in the low 7 bits: 0x7F is zero, smaller is louder.
    if ((byte & 0x7f) < 0x70) return false;
  }
  return true;
}
