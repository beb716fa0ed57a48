/** Twilio sends the caller's audio in 20 ms frames. */
const FRAME_MS = 20;

/**
 * The `media` messages of the caller's audio on a Media Stream, numbered as Twilio numbers them
 * (`media.chunk` counts from "1"): built the same way by the softphone page and the simulated
 * Twilio caller. No imports, so the browser bundle and the server compile the same code.
 */
export class CallerMediaMessages {
  private chunk = 0;

  /**
   * The next frame's message. `timestamp`: milliseconds since the stream started; by default the
   * frame's place in an unbroken run of frames.
   */
  next(
    streamSid: string,
    sequenceNumber: string,
    payload: string,
    timestamp = this.chunk * FRAME_MS,
  ): Record<string, unknown> {
    this.chunk += 1;
    return {
      event: 'media',
      sequenceNumber,
      media: { track: 'inbound', chunk: String(this.chunk), timestamp: String(timestamp), payload },
      streamSid,
    };
  }
}
