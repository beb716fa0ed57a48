import { performance } from 'node:perf_hooks';
import { Samples } from './samples';
import { FRAME_MS } from './stamp';

/** Something that sends one frame every 20 ms while it is active. */
export interface PacedStream {
  active: boolean;
  sendFrame(): void;
}

const SLOTS = FRAME_MS; // one slot per millisecond of the 20 ms frame period

/**
 * Real-time pace for many streams on one timer: each stream sends its first frame at once (as Twilio
 * does after `start`) and then joins one of 20 slots, 1 ms apart, so frames are spread over the period
 * as independent calls would be instead of all leaving in one burst. A slot that falls behind catches
 * up (frames are late, never skipped); how late the generator was is recorded.
 */
export class Pacer {
  private readonly slots: Array<{ due: number; streams: PacedStream[] }>;
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  /** How late slots fired, in ms (only while `recording`). */
  readonly lateness = new Samples();
  recording = false;

  constructor() {
    const epoch = performance.now();
    this.slots = Array.from({ length: SLOTS }, (_, i) => ({ due: epoch + i + FRAME_MS, streams: [] }));
  }

  start(): void {
    this.timer = setInterval(() => this.tick(), 1);
  }

  stop(): void {
    clearInterval(this.timer);
  }

  add(stream: PacedStream): void {
    stream.sendFrame();
    this.slots[this.next]!.streams.push(stream);
    this.next = (this.next + 7) % SLOTS; // 7 is prime to 20: consecutive streams land far apart
  }

  /** Drops streams that stopped, so a finished rung costs nothing. */
  prune(): void {
    for (const slot of this.slots) slot.streams = slot.streams.filter((s) => s.active);
  }

  private tick(): void {
    const now = performance.now();
    for (const slot of this.slots) {
      while (slot.due <= now) {
        if (this.recording && slot.streams.length > 0) this.lateness.push(now - slot.due);
        for (const stream of slot.streams) if (stream.active) stream.sendFrame();
        slot.due += FRAME_MS;
      }
    }
  }
}
