import { encodeUlawSample } from '../../services/local/web/mulaw';

/**
 * Stamped audio frames: each 20 ms frame (160 bytes of μ-law, 216 base64 characters) carries the
 * call's index, the frame's sequence number and the time it was sent, in its first 16 bytes. The far
 * side reads them back from the first 24 base64 characters, so both directions are timed on the load
 * generator's one clock without keeping a table of frames in flight.
 */

export const FRAME_MS = 20;
const FRAME_BYTES = 160;
/** 18 bytes = 24 base64 characters with no padding, so the rest can be appended as its own base64. */
const HEAD_BYTES = 18;
const HEAD_CHARS = 24;
/** μ-law silence after the stamp; its base64 is computed once. */
const TAIL = Buffer.alloc(FRAME_BYTES - HEAD_BYTES, 0xff).toString('base64');
/** A voiced tail instead (a 200 Hz tone with harmonics at about −20 dBFS), as a talking caller sends. */
const SPEECH_TAIL = Buffer.from(
  Array.from({ length: FRAME_BYTES - HEAD_BYTES }, (_, i) => {
    const t = (2 * Math.PI * 200 * i) / 8000;
    return encodeUlawSample(0.1 * (Math.sin(t) + 0.5 * Math.sin(2 * t) + 0.25 * Math.sin(3 * t)));
  }),
).toString('base64');
const head = Buffer.alloc(HEAD_BYTES, 0xff);

export function stampedPayload(call: number, seq: number, sentAt: number, speech = false): string {
  head.writeUInt32BE(call, 0);
  head.writeUInt32BE(seq, 4);
  head.writeDoubleBE(sentAt, 8);
  return head.toString('base64') + (speech ? SPEECH_TAIL : TAIL);
}

export interface Stamp {
  call: number;
  seq: number;
  sentAt: number;
}

const decoded = Buffer.alloc(HEAD_BYTES);
const stamp: Stamp = { call: 0, seq: 0, sentAt: 0 };

/** Reads the stamp of the payload starting at `offset` in `text`. The result is reused: copy what you keep. */
export function readStamp(text: string, offset: number): Stamp | undefined {
  if (text.length < offset + HEAD_CHARS) return undefined;
  if (decoded.write(text.slice(offset, offset + HEAD_CHARS), 'base64') !== HEAD_BYTES) return undefined;
  stamp.call = decoded.readUInt32BE(0);
  stamp.seq = decoded.readUInt32BE(4);
  stamp.sentAt = decoded.readDoubleBE(8);
  return stamp;
}
