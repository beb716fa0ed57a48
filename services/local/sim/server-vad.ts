/**
 * A server-like voice activity detector for the OpenAI simulator's `serverVad` mode: what a real
 * server VAD does with the caller's audio, by energy over an adaptive noise floor (no model). It
 * reads 20 ms μ-law frames and reports when speech starts (after `startSpeechMs` of speech, dated
 * back by `prefixPaddingMs`, like `input_audio_buffer.speech_started`'s `audio_start_ms`) and when it
 * stops (after `silenceMs` of quiet, like `speech_stopped`'s `audio_end_ms`, which includes that
 * quiet). With 600 ms it ends a turn at a thinking pause, as a real one can.
 *
 * A frame is speech when its level is `snrDb` above the noise floor and above `floorDbfs`. The floor
 * follows quiet frames (down at once, up slowly, never during speech), so steady line noise is
 * never speech, and a television a few dB under the caller is, as it would be for a real VAD.
 */
import { ulawFrameLevelDb } from '../../core/shared/audio.js';
import { FRAME_BYTES, FRAME_MS } from './audio.js';

export interface ServerVadOptions {
  /** Quiet that ends a turn (default 600 ms). */
  silenceMs?: number;
  /** How far before the detected onset `audio_start_ms` lies (default 300 ms, the API's). */
  prefixPaddingMs?: number;
  /** Speech needed before speech_started (default 160 ms; a real VAD needs a few frames too). */
  startSpeechMs?: number;
  /** Level over the noise floor that counts as speech (default 12 dB). */
  snrDb?: number;
  /** Nothing quieter than this is speech (default −50 dBFS). */
  floorDbfs?: number;
}

export type VadEvent =
  | { type: 'speech_started'; audioStartMs: number; atMs: number }
  | { type: 'speech_stopped'; audioEndMs: number; atMs: number };

/** Level of one μ-law frame in dBFS (−120 for digital silence). */
export const ulawFrameDbfs = (frame: Uint8Array): number => ulawFrameLevelDb(frame);

/** How fast the noise floor may rise over quiet frames (dB per 20 ms frame: 2.5 dB/s). */
const FLOOR_RISE_DB = 0.05;
/** A candidate onset is dropped after this much quiet before it became speech. */
const ONSET_GAP_MS = 200;

export class ServerVad {
  private readonly silenceMs: number;
  private readonly prefixPaddingMs: number;
  private readonly startSpeechMs: number;
  private readonly snrDb: number;
  private readonly floorDbfs: number;
  private pending = Buffer.alloc(0);
  /** ms of audio consumed (the end of the last whole frame). */
  private audioMs = 0;
  private noiseDb: number | undefined;
  private state: 'quiet' | 'onset' | 'speech' = 'quiet';
  private onsetAtMs = 0;
  private onsetSpeechMs = 0;
  private quietMs = 0;

  constructor(options: ServerVadOptions = {}) {
    this.silenceMs = options.silenceMs ?? 600;
    this.prefixPaddingMs = options.prefixPaddingMs ?? 300;
    this.startSpeechMs = options.startSpeechMs ?? 160;
    this.snrDb = options.snrDb ?? 12;
    this.floorDbfs = options.floorDbfs ?? -50;
  }

  /** Whether the caller is in a turn (speech_started sent, speech_stopped not yet). */
  get speaking(): boolean {
    return this.state === 'speech';
  }

  /** The noise floor estimate (dBFS), for tests. */
  get noiseFloorDbfs(): number | undefined {
    return this.noiseDb;
  }

  /** Feeds caller audio (any length); returns what the VAD decided, in order. */
  feed(audio: Uint8Array): VadEvent[] {
    const events: VadEvent[] = [];
    let data = this.pending.length > 0 ? Buffer.concat([this.pending, audio]) : Buffer.from(audio);
    while (data.length >= FRAME_BYTES) {
      const event = this.frame(data.subarray(0, FRAME_BYTES));
      if (event) events.push(event);
      data = data.subarray(FRAME_BYTES);
    }
    this.pending = Buffer.from(data);
    return events;
  }

  private frame(frame: Uint8Array): VadEvent | undefined {
    const startMs = this.audioMs;
    this.audioMs += FRAME_MS;
    const level = ulawFrameDbfs(frame);
    this.noiseDb ??= level;
    const speech = level >= Math.max(this.noiseDb + this.snrDb, this.floorDbfs);
    if (!speech) {
      this.noiseDb = level < this.noiseDb ? level : Math.min(level, this.noiseDb + FLOOR_RISE_DB);
    }
    switch (this.state) {
      case 'quiet':
        if (!speech) return undefined;
        this.state = 'onset';
        this.onsetAtMs = startMs;
        this.onsetSpeechMs = 0;
        this.quietMs = 0;
        return this.onset(speech);
      case 'onset':
        return this.onset(speech);
      case 'speech':
        if (speech) {
          this.quietMs = 0;
          return undefined;
        }
        this.quietMs += FRAME_MS;
        if (this.quietMs < this.silenceMs) return undefined;
        this.state = 'quiet';
        return { type: 'speech_stopped', audioEndMs: this.audioMs, atMs: this.audioMs };
    }
  }

  private onset(speech: boolean): VadEvent | undefined {
    if (!speech) {
      this.quietMs += FRAME_MS;
      if (this.quietMs >= ONSET_GAP_MS) this.state = 'quiet';
      return undefined;
    }
    this.quietMs = 0;
    this.onsetSpeechMs += FRAME_MS;
    if (this.onsetSpeechMs < this.startSpeechMs) return undefined;
    this.state = 'speech';
    return {
      type: 'speech_started',
      audioStartMs: Math.max(0, this.onsetAtMs - this.prefixPaddingMs),
      atMs: this.audioMs,
    };
  }
}
