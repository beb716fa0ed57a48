import { FRAME_BYTES } from '../../services/local/sim/audio';
import type { TwilioCallStream } from '../../services/local/sim/twilio-caller';

/** Frames per `sendAudio` call: 40 ms, so a clip starts within 40 ms of being asked for. */
const CHUNK_FRAMES = 2;
/** Chunks queued ahead of the one being sent (keeps the real-time schedule drift-free). */
const AHEAD = 3;

/**
 * The caller's microphone: an endless real-time stream of 20 ms frames of line noise, into which
 * clips are spliced. `play` tells which Twilio `media.chunk` number the clip starts at, so its
 * onset can be dated on the stream's own clock (the `sent` log entry of that chunk).
 */
export class CallerTape {
  private frames = 0;
  private noiseAt = 0;
  private readonly queue: Array<{ audio: Buffer; started: (chunk: number) => void }> = [];
  private current: { audio: Buffer; at: number } | undefined;
  private running = true;
  private readonly loop: Promise<void>;

  constructor(
    private readonly stream: TwilioCallStream,
    private readonly noise: Buffer,
  ) {
    this.loop = this.run();
  }

  /** Queues a clip (whole frames); resolves with the `media.chunk` number of its first frame. */
  play(audio: Buffer): Promise<number> {
    return new Promise((resolve) => this.queue.push({ audio, started: resolve }));
  }

  /** Whether a clip is still being sent. */
  get busy(): boolean {
    return this.current !== undefined || this.queue.length > 0;
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private nextChunk(): Buffer {
    const bytes = CHUNK_FRAMES * FRAME_BYTES;
    if (!this.current) {
      const next = this.queue.shift();
      if (next) {
        this.current = { audio: next.audio, at: 0 };
        next.started(this.frames + 1);
      }
    }
    if (this.current) {
      const chunk = this.current.audio.subarray(this.current.at, this.current.at + bytes);
      this.current.at += bytes;
      if (this.current.at >= this.current.audio.length) this.current = undefined;
      if (chunk.length === bytes) return chunk;
      return Buffer.concat([chunk, this.noiseChunk(bytes - chunk.length)]);
    }
    return this.noiseChunk(bytes);
  }

  private noiseChunk(bytes: number): Buffer {
    if (this.noiseAt + bytes > this.noise.length) this.noiseAt = 0;
    const chunk = this.noise.subarray(this.noiseAt, this.noiseAt + bytes);
    this.noiseAt += bytes;
    return chunk;
  }

  private async run(): Promise<void> {
    const inFlight: Array<Promise<void>> = [];
    while (this.running && this.stream.isOpen) {
      const chunk = this.nextChunk();
      inFlight.push(this.stream.sendAudio(chunk).catch(() => undefined));
      this.frames += chunk.length / FRAME_BYTES;
      if (inFlight.length > AHEAD) await inFlight.shift();
    }
    await Promise.all(inFlight);
  }
}
