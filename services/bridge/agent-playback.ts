import { base64ByteLength, ULAW_BYTES_PER_MS } from '../core/shared/audio.js';
import type { PlaybackTap } from './call-recorder.js';
import { clearMessage, markMessage, mediaMessage } from './twilio-media-codec.js';

/**
 * The agent's audio on its way to the caller. Untracked (engines that cut their own replies,
 * ElevenLabs), it is forwarded as it comes. Tracked (engines the bridge cuts, OpenAI), each chunk is
 * followed by a Twilio mark, and the chunks whose marks have not come back are kept: Twilio echoes a
 * mark once the audio before it has played (docs/protocols.md §2.4), so what was heard, what is
 * still queued at Twilio and what a pause must keep are all known. A pause clears Twilio's queue and
 * holds the unheard chunks (and any that arrive meanwhile); a resume plays them from there; a cut
 * drops them and says how much of the reply the caller heard, for the engine's truncation.
 */
interface Chunk {
  payload: string;
  itemId: string | undefined;
  bytes: number;
  mark: string;
}

export interface PlaybackCut {
  itemId: string;
  /** How much of the reply the caller heard (ms), clamped to what the engine delivered. */
  audioEndMs: number;
  /** How much of the reply the engine had delivered (ms). */
  deliveredMs: number;
}

export class AgentPlayback {
  /** Sent to Twilio, marks not yet echoed, in order (Twilio plays and echoes in order). */
  private queued: Chunk[] = [];
  private held: Chunk[] = [];
  private paused = false;
  private itemId: string | undefined;
  private itemBytes = 0;
  private itemPlayedBytes = 0;
  /** Twilio's media clock when the chunk at the head of the queue started playing. */
  private headStartedMs = 0;
  private markSeq = 0;

  constructor(
    private readonly streamSid: string,
    private readonly send: (message: string) => void,
    private readonly tracked: boolean,
    /** Told what Twilio is sent to play and when it is cleared (the call's recording). */
    private readonly tap?: PlaybackTap,
  ) {}

  /** Agent audio from the engine; `mediaMs` is Twilio's latest inbound media timestamp. */
  play(payload: string, itemId: string | undefined, mediaMs: number): void {
    if (!this.tracked) {
      this.sendMedia(payload);
      return;
    }
    if (itemId !== this.itemId) {
      this.itemId = itemId;
      this.itemBytes = 0;
      this.itemPlayedBytes = 0;
    }
    const bytes = base64ByteLength(payload);
    this.itemBytes += bytes;
    const chunk: Chunk = { payload, itemId, bytes, mark: '' };
    if (this.paused) this.held.push(chunk);
    else this.sendChunk(chunk, mediaMs);
  }

  /** A mark Twilio echoed. Returns false for a mark this tracker did not send (a drain mark). */
  onMark(name: string, mediaMs: number): boolean {
    const index = this.queued.findIndex((chunk) => chunk.mark === name);
    if (index < 0) return false;
    for (const chunk of this.queued.splice(0, index + 1)) {
      if (chunk.itemId === this.itemId) this.itemPlayedBytes += chunk.bytes;
    }
    this.headStartedMs = mediaMs;
    return true;
  }

  /** Whether agent audio is queued at Twilio, not yet heard. */
  isPlaying(): boolean {
    return this.queued.length > 0;
  }

  /** Whether a pause holds audio the caller has not heard. */
  isPaused(): boolean {
    return this.paused;
  }

  /** Stops the audio now (Twilio `clear`) and keeps what the caller has not heard. */
  pause(): void {
    if (!this.tracked || this.paused) return;
    this.paused = true;
    this.sendClear();
    // Cleared marks still echo: they are no longer queued, so the echoes are ignored.
    this.held = [...this.queued, ...this.held];
    this.queued = [];
  }

  /** Keeps the reply's audio as it arrives, nothing of it played yet (no `clear`: nothing is queued). */
  hold(): void {
    if (!this.tracked) return;
    this.paused = true;
  }

  /** Plays what a pause or a hold kept, from the chunk that was playing. */
  resume(mediaMs: number): void {
    if (!this.paused) return;
    this.paused = false;
    const held = this.held;
    this.held = [];
    for (const chunk of held) this.sendChunk(chunk, mediaMs);
  }

  /**
   * The reply is stopped for good: Twilio's queue is cleared (unless a pause already did), held
   * audio dropped. Returns how much of it the caller heard, or undefined when nothing of it was
   * playing or held.
   */
  cut(mediaMs: number): PlaybackCut | undefined {
    const itemId = this.itemId;
    const inFlight = this.queued[0];
    const wasPlaying = this.queued.length > 0 || this.held.length > 0;
    if (this.queued.length > 0 || !this.tracked) this.sendClear();
    let heardBytes = this.itemPlayedBytes;
    if (inFlight && inFlight.itemId === itemId && !this.paused) {
      // The chunk at the head was playing: count the part Twilio's clock says was heard.
      const playingMs = Math.max(0, mediaMs - this.headStartedMs);
      heardBytes += Math.min(inFlight.bytes, playingMs * ULAW_BYTES_PER_MS);
    }
    const delivered = this.itemBytes;
    this.reset();
    if (!wasPlaying || itemId === undefined || delivered === 0) return undefined;
    return {
      itemId,
      audioEndMs: Math.floor(Math.min(heardBytes, delivered) / ULAW_BYTES_PER_MS),
      deliveredMs: Math.floor(delivered / ULAW_BYTES_PER_MS),
    };
  }

  /** Forgets everything (a new engine serves the call: none of the old one's items can be cut). */
  reset(): void {
    this.queued = [];
    this.held = [];
    this.paused = false;
    this.itemId = undefined;
    this.itemBytes = 0;
    this.itemPlayedBytes = 0;
  }

  private sendChunk(chunk: Chunk, mediaMs: number): void {
    chunk.mark = `a${++this.markSeq}`;
    if (this.queued.length === 0) this.headStartedMs = mediaMs;
    this.queued.push(chunk);
    this.sendMedia(chunk.payload);
    this.send(markMessage(this.streamSid, chunk.mark));
  }

  private sendMedia(payload: string): void {
    this.send(mediaMessage(this.streamSid, payload));
    this.tap?.agentAudio(payload);
  }

  private sendClear(): void {
    this.send(clearMessage(this.streamSid));
    this.tap?.agentCleared();
  }
}
