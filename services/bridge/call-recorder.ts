import { type FileHandle, open, unlink } from 'node:fs/promises';
import {
  type CallRecording,
  RECORDING_FRAME_BYTES,
  ULAW_SILENCE,
  ULAW_TO_PCM16,
  WAV_HEADER_BYTES,
  wavHeader,
} from '../core/call/recording.js';
import type { RecordingDestination } from '../core/ports/recordings.js';
import { base64ByteLength, ULAW_BYTES_PER_MS } from '../core/shared/audio.js';
import type { Log } from '../core/shared/logging.js';

/** What the agent's playback tells the recorder (`AgentPlayback`'s tap). */
export interface PlaybackTap {
  /** Agent audio sent to Twilio, which plays it after what it already holds. */
  agentAudio(payload: string): void;
  /** A `clear` sent: Twilio dropped everything not played yet. */
  agentCleared(): void;
}

export interface CallRecorderOptions {
  /** Twilio's playback clock: the timestamp of the latest inbound media frame (ms from the stream's start). */
  mediaMs(): number;
  log: Pick<Log, 'error'>;
  /**
   * Audio held in memory per channel before it is written (ms). Caller audio is final at once; agent
   * audio only once Twilio's clock has passed it (a `clear` can still cut it), so this also bounds
   * how far ahead of playback agent audio is kept: anything beyond is not recorded.
   */
  windowMs?: number;
}

/** Written to the file in batches of about this much audio. */
const BATCH_MS = 1000;
const DEFAULT_WINDOW_MS = 30_000;

/**
 * One call's stereo WAV, written as the call goes: caller on the left at Twilio's media timestamps,
 * agent on the right where Twilio played it (after the audio queued before it, from the moment it
 * was sent, and cut where a `clear` cut it). Each channel is a fixed window of μ-law bytes indexed
 * by sample from the last written one; a frame is base64-decoded straight into it (no allocation per
 * frame). About once a second the part Twilio's clock has passed is decoded to PCM and appended to
 * the working file; the header, whose sizes are known only at the end, is written last over a
 * placeholder. Memory per call is the two windows and one batch, whatever the call's length.
 *
 * A failure (disk full, the store refusing) never reaches the call: it is logged once, the working
 * file removed, and `finish` reports `failed`.
 */
export class CallRecorder implements PlaybackTap {
  private readonly caller: Buffer;
  private readonly agent: Buffer;
  private readonly windowSamples: number;
  /** Samples appended to the file so far; the windows start at this sample. */
  private written = 0;
  /** Where the next agent audio starts playing (sample index): after what Twilio still holds. */
  private agentAt = 0;
  /** The end of the latest caller frame (sample index). */
  private callerEnd = 0;
  private readonly path: string;
  private file: Promise<FileHandle | undefined>;
  private writes: Promise<void> = Promise.resolve();
  private failure: string | undefined;
  private finished: Promise<CallRecording> | undefined;

  constructor(
    private readonly callSid: string,
    private readonly destination: RecordingDestination,
    private readonly options: CallRecorderOptions,
  ) {
    this.windowSamples = Math.round((options.windowMs ?? DEFAULT_WINDOW_MS) * ULAW_BYTES_PER_MS);
    this.caller = Buffer.alloc(this.windowSamples, ULAW_SILENCE);
    this.agent = Buffer.alloc(this.windowSamples, ULAW_SILENCE);
    this.path = destination.workingPath(callSid);
    this.file = open(this.path, 'w').then(
      async (handle) => {
        await handle.write(Buffer.alloc(WAV_HEADER_BYTES), 0, WAV_HEADER_BYTES, 0);
        return handle;
      },
      (error: unknown) => {
        this.fail(error);
        return undefined;
      },
    );
  }

  /** The key the recording is stored under. */
  get key(): string {
    return this.destination.keyFor(this.callSid);
  }

  /** A caller frame (μ-law, base64) at Twilio's timestamp. */
  callerAudio(payload: string, timestampMs: number): void {
    if (this.failure !== undefined || this.finished) return;
    const at = Math.round(timestampMs * ULAW_BYTES_PER_MS);
    const samples = base64ByteLength(payload);
    if (at + samples - this.written > this.windowSamples) this.flushTo(at + samples - this.windowSamples);
    const offset = at - this.written;
    // A frame older than what is written already (a reordered or repeated timestamp) is dropped.
    if (offset >= 0) this.caller.write(payload, offset, samples, 'base64');
    this.callerEnd = Math.max(this.callerEnd, at + samples);
    if (at - this.written >= BATCH_MS * ULAW_BYTES_PER_MS) this.flushTo(at);
  }

  agentAudio(payload: string): void {
    if (this.failure !== undefined || this.finished) return;
    const at = Math.max(this.agentAt, this.nowSample(), this.written);
    const samples = base64ByteLength(payload);
    this.agentAt = at + samples;
    const offset = at - this.written;
    const room = this.windowSamples - offset;
    if (room <= 0) return;
    if (room >= samples) {
      this.agent.write(payload, offset, samples, 'base64');
      return;
    }
    // Further ahead of playback than the window holds: only the part that fits is kept.
    const whole = Buffer.from(payload, 'base64');
    whole.copy(this.agent, offset, 0, room);
  }

  agentCleared(): void {
    if (this.failure !== undefined || this.finished) return;
    const now = this.nowSample();
    if (this.agentAt <= now) return;
    const from = Math.max(0, now - this.written);
    this.agent.fill(ULAW_SILENCE, from, Math.min(this.windowSamples, this.agentAt - this.written));
    this.agentAt = now;
  }

  /**
   * The call is over: writes what the caller heard up to the last frame, the header, and stores the
   * file. Never rejects. Calling it again returns the same result.
   */
  finish(): Promise<CallRecording> {
    this.finished ??= this.complete();
    return this.finished;
  }

  private async complete(): Promise<CallRecording> {
    if (this.failure === undefined) this.flushTo(this.callerEnd);
    const handle = await this.file;
    await this.writes;
    try {
      if (handle && this.failure === undefined) {
        const dataBytes = this.written * RECORDING_FRAME_BYTES;
        await handle.write(wavHeader(dataBytes), 0, WAV_HEADER_BYTES, 0);
      }
      await handle?.close();
    } catch (error) {
      this.fail(error);
    }
    if (this.failure !== undefined) {
      await unlink(this.path).catch(() => undefined);
      return { status: 'failed' };
    }
    try {
      const { bytes } = await this.destination.store(this.callSid, this.path);
      return {
        status: 'saved',
        key: this.key,
        bytes,
        durationMs: Math.round(this.written / ULAW_BYTES_PER_MS),
      };
    } catch (error) {
      this.fail(error);
      await unlink(this.path).catch(() => undefined);
      return { status: 'failed' };
    }
  }

  private nowSample(): number {
    return Math.round(this.options.mediaMs() * ULAW_BYTES_PER_MS);
  }

  /** Appends the samples before `end` to the file (both channels, interleaved PCM) and slides the windows. */
  private flushTo(end: number): void {
    const count = Math.min(end - this.written, this.windowSamples);
    if (count <= 0) return;
    // Its own ArrayBuffer (never the shared pool): aligned for the Int16Array, and owned by the write.
    const batch = Buffer.allocUnsafeSlow(count * RECORDING_FRAME_BYTES);
    const pcm = new Int16Array(batch.buffer, batch.byteOffset, count * 2);
    const { caller, agent } = this;
    for (let i = 0; i < count; i++) {
      pcm[2 * i] = ULAW_TO_PCM16[caller[i] as number] as number;
      pcm[2 * i + 1] = ULAW_TO_PCM16[agent[i] as number] as number;
    }
    // Slide only what holds audio (past its end the windows are silence already).
    this.slide(caller, this.callerEnd - this.written, count);
    this.slide(agent, this.agentAt - this.written, count);
    const position = WAV_HEADER_BYTES + this.written * RECORDING_FRAME_BYTES;
    this.written += count;
    this.writes = this.writes.then(async () => {
      if (this.failure !== undefined) return;
      const handle = await this.file;
      if (!handle) return;
      // Int16Array is little-endian on every platform Node runs on (x64, arm64), as WAV wants.
      await handle.write(batch, 0, batch.length, position).catch((error: unknown) => this.fail(error));
    });
  }

  private slide(channel: Buffer, usedEnd: number, count: number): void {
    const end = Math.min(this.windowSamples, Math.max(usedEnd, count));
    channel.copyWithin(0, count, end);
    channel.fill(ULAW_SILENCE, end - count, end);
  }

  private fail(error: unknown): void {
    if (this.failure !== undefined) return;
    this.failure = error instanceof Error ? error.message : String(error);
    this.options.log.error('The call recording could not be written: the call goes on without it', {
      error: this.failure,
    });
  }
}
