import { HOLD_PROMPT_ULAW_BASE64 } from './hold-prompt-clip.js';

/** Twilio media frames are 20 ms of 8 kHz μ-law: 160 bytes. */
const FRAME_BYTES = 160;
const BYTES_PER_MS = 8;

/**
 * "One moment, please.": what the caller hears while the failover composite switches engines
 * mid-call (the listener's `switching` event), so a drop is not silence. Made by
 * scripts/make-hold-prompt.sh; the bytes live in a generated module so the bundle carries them.
 * Each frame is the base64 payload of one Twilio `media` message, in order.
 */
export const HOLD_PROMPT_FRAMES: readonly string[] = Object.freeze(
  toFrames(Buffer.from(HOLD_PROMPT_ULAW_BASE64, 'base64')),
);

/** How long the prompt plays, in ms. */
export const HOLD_PROMPT_MS = (HOLD_PROMPT_FRAMES.length * FRAME_BYTES) / BYTES_PER_MS;

function toFrames(audio: Buffer): string[] {
  const frames: string[] = [];
  for (let offset = 0; offset < audio.length; offset += FRAME_BYTES) {
    frames.push(audio.subarray(offset, offset + FRAME_BYTES).toString('base64'));
  }
  return frames;
}
