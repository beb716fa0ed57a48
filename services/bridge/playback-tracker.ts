import { ULAW_BYTES_PER_MS } from '../core/audio.js';

/**
 * Tracks how much of the agent's current response the caller has actually heard, from Twilio marks
 * and Twilio's inbound media clock (docs/protocols.md §2.4), so a barge-in can tell an engine that needs it
 * where to cut its transcript. `audio_end_ms` is clamped to the audio delivered for that response:
 * asking to truncate beyond it is an API error.
 */
export class PlaybackTracker {
  private itemId: string | undefined;
  private itemStartMediaMs = 0;
  private itemBytes = 0;
  private readonly outstanding = new Set<string>();
  private markSeq = 0;

  /** Records agent audio sent to Twilio; returns the name of the mark to send after it. */
  onAgentAudio(itemId: string | undefined, bytes: number, latestMediaMs: number): string {
    if (itemId !== this.itemId) {
      this.itemId = itemId;
      this.itemStartMediaMs = latestMediaMs;
      this.itemBytes = 0;
    }
    this.itemBytes += bytes;
    const name = `a${++this.markSeq}`;
    this.outstanding.add(name);
    return name;
  }

  /** A mark echoed by Twilio: the audio before it has played (or was cleared). */
  onMark(name: string): void {
    this.outstanding.delete(name);
  }

  /** Whether agent audio is still queued at Twilio, not yet heard. */
  isPlaying(): boolean {
    return this.outstanding.size > 0;
  }

  /**
   * The caller barged in. Returns what to truncate, or undefined when nothing of the current
   * response is still playing. Resets the tracker: the cleared marks will echo and be ignored.
   */
  interrupt(latestMediaMs: number): { itemId: string; audioEndMs: number; deliveredMs: number } | undefined {
    const itemId = this.itemId;
    const playing = this.outstanding.size > 0;
    const delivered = Math.floor(this.itemBytes / ULAW_BYTES_PER_MS);
    const elapsed = Math.max(0, latestMediaMs - this.itemStartMediaMs);
    this.itemId = undefined;
    this.itemBytes = 0;
    this.outstanding.clear();
    if (!playing || itemId === undefined || delivered === 0) return undefined;
    return { itemId, audioEndMs: Math.min(elapsed, delivered), deliveredMs: delivered };
  }
}
