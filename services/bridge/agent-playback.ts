import { base64ByteLength, ULAW_BYTES_PER_MS } from '../core/shared/audio.js';
import type { PlaybackTap } from './call-recorder.js';
import { clearMessage, markMessage, mediaMessage } from './twilio-media-codec.js';

/**
 * A mark follows at least this much agent audio (500 ms). Between marks Twilio's media clock says
 * how far the playing audio got (a cut and a pause read it), so a mark only re-anchors that clock
 * and tells when the audio has played out: Twilio is sent (and echoes) a mark a twenty-fifth as
 * often as 20 ms chunks would need, and each mark and its echo cost a message each way.
 */
const MARK_EVERY_BYTES = 500 * ULAW_BYTES_PER_MS;
/**
 * A pause keeps this much of what Twilio's clock says was heard already: its playback starts a
 * little after the clock's reading (the network, its jitter buffer), and a resume that repeats a
 * syllable is better than one that skips it.
 */
const PAUSE_REPLAYS_MS = 100;
/**
 * Audio that stopped short of MARK_EVERY_BYTES gets its mark this long (to twice this) after the
 * last chunk, so the end of a reply is known (the agent finished) within about this much of its
 * playing out.
 */
const MARK_IDLE_MS = 50;
/** Our marks are named `a<sequence number>`; other marks (drain marks) are not ours. */
const MARK_PREFIX = 'a';

/**
 * The agent's audio on its way to the caller. Untracked (engines that cut their own replies,
 * ElevenLabs), it is forwarded as it comes. Tracked (engines the bridge cuts, OpenAI), the chunks
 * sent are followed by a Twilio mark every MARK_EVERY_BYTES of audio, at a change of item and once
 * the audio pauses (MARK_IDLE_MS), and the chunks whose marks have not come back are kept: Twilio
 * echoes a mark once the audio before it has played, in order (docs/protocols.md §2.4), so what was
 * heard, what is still queued at Twilio and what a pause must keep are all known. A pause clears
 * Twilio's queue and holds the unheard chunks (and any that arrive meanwhile); a resume plays them
 * from there; a cut drops them and says how much of the reply the caller heard, for the engine's
 * truncation.
 */
interface Chunk {
  payload: string;
  itemId: string | undefined;
  bytes: number;
  /** The sequence number of the mark that follows it (sent, or the next one to send). */
  mark: number;
}

export interface PlaybackCut {
  itemId: string;
  /** How much of the reply the caller heard (ms), clamped to what the engine delivered. */
  audioEndMs: number;
  /** How much of the reply the engine had delivered (ms). */
  deliveredMs: number;
}

export class AgentPlayback {
  /** Sent to Twilio, marks not yet echoed (or not yet sent), in order (Twilio plays and echoes in order). */
  private queued: Chunk[] = [];
  private held: Chunk[] = [];
  private paused = false;
  private itemId: string | undefined;
  private itemBytes = 0;
  private itemPlayedBytes = 0;
  /** Twilio's media clock when the chunk at the head of the queue started playing. */
  private headStartedMs = 0;
  /** The last mark sent; the chunks sent after it belong to the next one. */
  private markSeq = 0;
  /** Audio sent since the last mark, and the item it belongs to. */
  private unmarkedBytes = 0;
  private unmarkedItemId: string | undefined;
  /** One timer for the playback's life, re-armed (`refresh`) rather than one per chunk. */
  private idleFlush: NodeJS.Timeout | undefined;
  private idleArmed = false;
  /** Audio was sent since the idle flush was armed: it re-arms instead of marking. */
  private audioSinceArmed = false;
  /**
   * What the caller had heard of the item when a pause stopped it, beyond the chunks it dropped
   * (bytes); 0 whenever no pause holds the item.
   */
  private heardOfHeldBytes = 0;

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
      this.heardOfHeldBytes = 0;
    }
    const bytes = base64ByteLength(payload);
    this.itemBytes += bytes;
    const chunk: Chunk = { payload, itemId, bytes, mark: 0 };
    if (this.paused) this.held.push(chunk);
    else this.sendChunk(chunk, mediaMs);
  }

  /** A mark Twilio echoed. Returns false for a mark this tracker did not send (a drain mark). */
  onMark(name: string, mediaMs: number): boolean {
    const seq = markSequence(name);
    const head = this.queued[0];
    // A mark before the head's was cleared (its audio is held or dropped); one after the last sent is not ours.
    if (head === undefined || seq < head.mark || seq > this.markSeq) return false;
    let heard = 0;
    while (heard < this.queued.length && this.queued[heard]!.mark <= seq) {
      const chunk = this.queued[heard++]!;
      if (chunk.itemId === this.itemId) this.itemPlayedBytes += chunk.bytes;
    }
    this.queued.splice(0, heard);
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

  /**
   * Stops the audio now (Twilio `clear`) and keeps what the caller has not heard, by Twilio's clock
   * (`mediaMs`), from PAUSE_REPLAYS_MS before it.
   */
  pause(mediaMs: number): void {
    if (!this.tracked || this.paused) return;
    this.paused = true;
    this.sendClear();
    const head = this.queued[0];
    const heard = head ? this.heardByClock(head, mediaMs) : 0;
    const dropped = this.dropHeard(heard - PAUSE_REPLAYS_MS * ULAW_BYTES_PER_MS);
    this.heardOfHeldBytes = head?.itemId === this.itemId ? heard - dropped : 0;
    // Cleared marks still echo: they are no longer queued, so the echoes are ignored.
    this.held = [...this.queued, ...this.held];
    this.queued = [];
    this.unmarkedBytes = 0;
  }

  /** Keeps the reply's audio as it arrives, nothing of it played yet (no `clear`: nothing is queued). */
  hold(): void {
    if (!this.tracked) return;
    this.paused = true;
    this.heardOfHeldBytes = 0;
  }

  /** Plays what a pause or a hold kept (a pause's from PAUSE_REPLAYS_MS before where it stopped). */
  resume(mediaMs: number): void {
    if (!this.paused) return;
    this.paused = false;
    this.heardOfHeldBytes = 0;
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
    // While paused, what the clock said at the pause (nothing otherwise).
    let heardBytes = this.itemPlayedBytes + this.heardOfHeldBytes;
    // The chunks of the head's mark were playing: count the part Twilio's clock says was heard.
    if (inFlight && inFlight.itemId === itemId && !this.paused)
      heardBytes += this.heardByClock(inFlight, mediaMs);
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
    this.heardOfHeldBytes = 0;
    this.unmarkedBytes = 0;
  }

  private sendChunk(chunk: Chunk, mediaMs: number): void {
    // A mark never spans two items: what was heard of each is counted apart.
    if (this.unmarkedBytes > 0 && chunk.itemId !== this.unmarkedItemId) this.sendMark();
    chunk.mark = this.markSeq + 1;
    if (this.queued.length === 0) this.headStartedMs = mediaMs;
    this.queued.push(chunk);
    this.sendMedia(chunk.payload);
    this.unmarkedBytes += chunk.bytes;
    this.unmarkedItemId = chunk.itemId;
    if (this.unmarkedBytes >= MARK_EVERY_BYTES) this.sendMark();
    else this.armIdleFlush();
  }

  /** Marks the audio sent since the last mark, if any. */
  private sendMark(): void {
    if (this.unmarkedBytes === 0) return;
    this.unmarkedBytes = 0;
    this.send(markMessage(this.streamSid, `${MARK_PREFIX}${++this.markSeq}`));
  }

  /**
   * Touches no timer per chunk (this runs for every agent frame): a chunk while the flush is armed
   * only notes that audio came, and the flush re-arms itself once instead of marking. So the mark
   * follows the audio's end by MARK_IDLE_MS to twice that, for one timer operation per period.
   */
  private armIdleFlush(): void {
    if (this.idleArmed) {
      this.audioSinceArmed = true;
      return;
    }
    this.idleArmed = true;
    this.audioSinceArmed = false;
    if (this.idleFlush) {
      this.idleFlush.refresh();
      return;
    }
    this.idleFlush = setTimeout(() => this.onIdleFlush(), MARK_IDLE_MS);
    // Never what keeps the process alive: a call that ends leaves at most this one short timer.
    this.idleFlush.unref();
  }

  private onIdleFlush(): void {
    if (this.audioSinceArmed) {
      this.audioSinceArmed = false;
      this.idleFlush?.refresh();
      return;
    }
    this.idleArmed = false;
    this.sendMark();
  }

  /** How much of the head's mark Twilio's clock says has played (it echoes the mark once all has). */
  private heardByClock(head: Chunk, mediaMs: number): number {
    const playingMs = Math.max(0, mediaMs - this.headStartedMs);
    return Math.min(this.bytesOfMark(head.mark), playingMs * ULAW_BYTES_PER_MS);
  }

  /** Drops the whole chunks at the queue's head that fit in `heardBytes` (they were heard); returns their bytes. */
  private dropHeard(heardBytes: number): number {
    let heard = 0;
    let bytes = 0;
    while (heard < this.queued.length && bytes + this.queued[heard]!.bytes <= heardBytes) {
      const chunk = this.queued[heard++]!;
      bytes += chunk.bytes;
      if (chunk.itemId === this.itemId) this.itemPlayedBytes += chunk.bytes;
    }
    this.queued.splice(0, heard);
    return bytes;
  }

  /** The audio of the queued chunks that one mark follows. */
  private bytesOfMark(mark: number): number {
    let bytes = 0;
    for (const chunk of this.queued) {
      if (chunk.mark !== mark) break;
      bytes += chunk.bytes;
    }
    return bytes;
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

/** The sequence number in one of our mark names, or -1 for any other name. */
function markSequence(name: string): number {
  if (!name.startsWith(MARK_PREFIX) || name.length === MARK_PREFIX.length || name.length > 16) return -1;
  for (let at = MARK_PREFIX.length; at < name.length; at++) {
    const code = name.charCodeAt(at);
    if (code < 48 || code > 57) return -1;
  }
  return Number(name.slice(MARK_PREFIX.length));
}
