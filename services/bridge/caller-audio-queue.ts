/** Caller audio held while an engine connects: 8 s of 20 ms frames, then the oldest goes. */
export const MAX_QUEUED_FRAMES = 400;

/**
 * Caller audio waiting for an engine (at call start, or while the failover composite switches
 * members): kept in order and bounded; when full, the oldest frame goes, logged once per queue.
 */
export class CallerAudioQueue {
  private readonly frames: string[] = [];
  private overflowLogged = false;

  /** `warnOverflow` is called once, when the queue first drops a frame. */
  constructor(private readonly warnOverflow: () => void) {}

  push(payload: string): void {
    if (this.frames.length >= MAX_QUEUED_FRAMES) {
      this.frames.shift();
      if (!this.overflowLogged) {
        this.overflowLogged = true;
        this.warnOverflow();
      }
    }
    this.frames.push(payload);
  }

  /** Takes every frame held, oldest first. */
  drain(): string[] {
    return this.frames.splice(0);
  }

  clear(): void {
    this.frames.length = 0;
  }
}
