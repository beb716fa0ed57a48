/**
 * The softphone's AudioWorklet processors (one module, loaded with `audioWorklet.addModule`):
 * - `ulaw-encoder`: microphone → 8 kHz μ-law frames of 20 ms, posted to the page as they complete;
 * - `ulaw-player`: the agent's μ-law audio, played in order at the context's rate. Marks queued
 *   between the audio are reported when playback reaches them, and `clear` empties the queue at
 *   once (reporting the marks it drops, as Twilio does).
 */
import { decodeUlaw, UlawFrameEncoder } from './mulaw.js';

// The AudioWorkletGlobalScope, which TypeScript's DOM library does not describe.
declare const sampleRate: number;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}
declare function registerProcessor(name: string, processor: new () => AudioWorkletProcessor): void;

/** Web Audio renders 128 frames per quantum. */
const QUANTUM = 128;
/** How often the player reports how much it has played. */
const PROGRESS_EVERY_SAMPLES = 800; // 100 ms at 8 kHz

class UlawEncoderProcessor extends AudioWorkletProcessor {
  private readonly encoder = new UlawFrameEncoder(sampleRate);
  private readonly silence = new Float32Array(QUANTUM);

  process(inputs: Float32Array[][]): boolean {
    // No input (the track is muted or not yet flowing) is silence: Twilio streams it all the same.
    const channel = inputs[0]?.[0] ?? this.silence;
    for (const frame of this.encoder.push(channel)) this.port.postMessage(frame, [frame.buffer]);
    return true;
  }
}

type Queued = { kind: 'audio'; samples: Float32Array; offset: number } | { kind: 'mark'; name: string };

export type PlayerCommand =
  | { type: 'audio'; ulaw: Uint8Array }
  | { type: 'mark'; name: string }
  | { type: 'clear' };
export type PlayerEvent =
  | { type: 'mark'; name: string }
  | { type: 'progress'; playedMs: number; queuedMs: number };

class UlawPlayerProcessor extends AudioWorkletProcessor {
  private readonly queue: Queued[] = [];
  /** 8 kHz samples per output sample. */
  private readonly step = 8000 / sampleRate;
  private position = 0;
  private played = 0;
  private reported = 0;

  constructor() {
    super();
    this.port.onmessage = (event: MessageEvent<PlayerCommand>) => this.command(event.data);
  }

  private command(command: PlayerCommand): void {
    if (command.type === 'audio')
      this.queue.push({ kind: 'audio', samples: decodeUlaw(command.ulaw), offset: 0 });
    else if (command.type === 'mark') this.queue.push({ kind: 'mark', name: command.name });
    else {
      for (const item of this.queue.splice(0))
        if (item.kind === 'mark') this.emit({ type: 'mark', name: item.name });
      this.position = 0;
      this.progress();
    }
    this.markReached();
  }

  process(_inputs: Float32Array[][], outputs: Float32Array[][]): boolean {
    const out = outputs[0]?.[0];
    if (!out) return true;
    for (let i = 0; i < out.length; i++) {
      const head = this.queue[0];
      if (head?.kind !== 'audio') {
        out[i] = 0;
        continue;
      }
      out[i] = head.samples[head.offset] as number;
      this.position += this.step;
      while (this.position >= 1) {
        this.position -= 1;
        head.offset++;
        this.played++;
      }
      if (head.offset >= head.samples.length) {
        this.queue.shift();
        this.markReached();
      }
    }
    if (this.played - this.reported >= PROGRESS_EVERY_SAMPLES) this.progress();
    return true;
  }

  /** Marks at the head of the queue have been reached: everything before them has played. */
  private markReached(): void {
    while (this.queue[0]?.kind === 'mark') {
      const mark = this.queue.shift() as { kind: 'mark'; name: string };
      this.emit({ type: 'mark', name: mark.name });
    }
    if (this.queue.length === 0) this.progress();
  }

  private progress(): void {
    this.reported = this.played;
    let queued = 0;
    for (const item of this.queue) if (item.kind === 'audio') queued += item.samples.length - item.offset;
    this.emit({ type: 'progress', playedMs: this.played / 8, queuedMs: queued / 8 });
  }

  private emit(event: PlayerEvent): void {
    this.port.postMessage(event);
  }
}

registerProcessor('ulaw-encoder', UlawEncoderProcessor);
registerProcessor('ulaw-player', UlawPlayerProcessor);
