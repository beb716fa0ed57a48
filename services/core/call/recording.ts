/**
 * Call recordings: one stereo 8 kHz 16-bit PCM WAV per call, the caller on the left and the agent on
 * the right, as the caller heard it. PCM rather than μ-law in the file: every browser's `<audio>`
 * and every spreadsheet-adjacent tool plays PCM WAV; a μ-law WAV (format 7) is not universally
 * playable. The bridge writes it (`services/bridge/call-recorder.ts`); this module holds the format
 * and what the session records about it.
 */

export const RECORDING_SAMPLE_RATE = 8000;
export const RECORDING_CHANNELS = 2;
export const RECORDING_BITS_PER_SAMPLE = 16;
/** Bytes of one stereo sample frame (two 16-bit samples). */
export const RECORDING_FRAME_BYTES = (RECORDING_CHANNELS * RECORDING_BITS_PER_SAMPLE) / 8;
export const WAV_HEADER_BYTES = 44;

/** What the call session records about the call's recording. */
export type CallRecording =
  /** The bridge is writing it (the call runs, or the finished file is being stored). */
  | { status: 'writing'; key: string }
  /** Stored under `key` (an S3 object key in AWS, a file name in LOCAL_RECORDINGS_DIR locally). */
  | { status: 'saved'; key: string; durationMs: number; bytes: number }
  /** It could not be written; the call went on without it. */
  | { status: 'failed' };

/** The row's and the email's words for a call that has no recording to link. */
export const NO_RECORDING = 'no recording';

/** The RIFF/WAVE header of a stereo 8 kHz 16-bit PCM file holding `dataBytes` of samples. */
export function wavHeader(dataBytes: number): Buffer {
  const header = Buffer.alloc(WAV_HEADER_BYTES);
  const byteRate = RECORDING_SAMPLE_RATE * RECORDING_FRAME_BYTES;
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // the PCM fmt chunk's size
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(RECORDING_CHANNELS, 22);
  header.writeUInt32LE(RECORDING_SAMPLE_RATE, 24);
  header.writeUInt32LE(byteRate, 28);
  header.writeUInt16LE(RECORDING_FRAME_BYTES, 32);
  header.writeUInt16LE(RECORDING_BITS_PER_SAMPLE, 34);
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}

/** The header fields a reader checks, parsed back (tests, tools). */
export interface WavFormat {
  format: number;
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  dataBytes: number;
  riffBytes: number;
}

export function parseWavHeader(file: Buffer): WavFormat {
  if (
    file.length < WAV_HEADER_BYTES ||
    file.toString('ascii', 0, 4) !== 'RIFF' ||
    file.toString('ascii', 8, 12) !== 'WAVE'
  ) {
    throw new Error('not a RIFF/WAVE file');
  }
  return {
    riffBytes: file.readUInt32LE(4),
    format: file.readUInt16LE(20),
    channels: file.readUInt16LE(22),
    sampleRate: file.readUInt32LE(24),
    bitsPerSample: file.readUInt16LE(34),
    dataBytes: file.readUInt32LE(40),
  };
}

export { ULAW_TO_PCM16 } from '../shared/audio.js';

/** μ-law silence (the encoding of 0). */
export const ULAW_SILENCE = 0xff;

/** RMS level of one channel of a stereo 16-bit PCM WAV, in dBFS (-Infinity for digital silence). */
export function channelLevelDbfs(file: Buffer, channel: 0 | 1): number {
  const format = parseWavHeader(file);
  const end = Math.min(file.length, WAV_HEADER_BYTES + format.dataBytes);
  let sum = 0;
  let count = 0;
  for (let at = WAV_HEADER_BYTES + channel * 2; at + 1 < end; at += RECORDING_FRAME_BYTES) {
    const sample = file.readInt16LE(at);
    sum += sample * sample;
    count++;
  }
  if (count === 0 || sum === 0) return Number.NEGATIVE_INFINITY;
  return 20 * Math.log10(Math.sqrt(sum / count) / 32768);
}
