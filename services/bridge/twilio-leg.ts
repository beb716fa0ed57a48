import WebSocket from 'ws';
import type { Log } from '../core/shared/logging.js';
import { markMessage, mediaMessage, parseTwilioMessage, type TwilioInbound } from './twilio-media-codec.js';

/** A socket that cannot keep up: past this many unsent bytes the call ends instead of memory growing. */
export const MAX_BUFFERED_BYTES = 1024 * 1024;
/** After the agent's last words, how long to wait for Twilio to finish playing them. */
export const PLAYBACK_DRAIN_LIMIT_MS = 15_000;

export type TwilioStart = Extract<TwilioInbound, { event: 'start' }>;

/** What the leg hands the call, one method per Media Streams event (docs/protocols.md §2). */
export interface TwilioLegEvents {
  start(start: TwilioStart): void;
  media(payload: string, timestampMs: number): void;
  mark(name: string): void;
  dtmf(digit: string): void;
  stop(): void;
  closed(reason: 'twilio-closed' | 'twilio-error', detail?: string): void;
  /** The socket's send buffer passed MAX_BUFFERED_BYTES: the call cannot keep up. */
  overloaded(): void;
}

/**
 * The Twilio side of one call: the Media Streams WebSocket, parsed into events on the way in,
 * bounded on the way out, and the "has Twilio played everything so far" question answered with a
 * mark. Knows nothing about engines or turns.
 */
export class TwilioLeg {
  private readonly markWaiters = new Map<string, () => void>();
  private drainSeq = 0;
  private malformedLogged = false;

  constructor(
    private readonly socket: WebSocket,
    private readonly events: TwilioLegEvents,
    /** The call's logger (it learns the call's sid at `start`). */
    private readonly log: () => Log,
  ) {
    socket.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    socket.on('close', () => events.closed('twilio-closed'));
    socket.on('error', (error) => events.closed('twilio-error', error.message));
  }

  get open(): boolean {
    return this.socket.readyState === WebSocket.OPEN;
  }

  send(message: string): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    if (this.socket.bufferedAmount > MAX_BUFFERED_BYTES) this.events.overloaded();
    else this.socket.send(message);
  }

  /** Plays audio that is not the agent's (the hold prompt): one `media` message per frame. */
  play(streamSid: string, frames: readonly string[]): void {
    for (const frame of frames) this.send(mediaMessage(streamSid, frame));
  }

  /** A message that breaks the Media Streams protocol: dropped, logged once per call. */
  dropMalformed(error: string): void {
    if (this.malformedLogged) return;
    this.malformedLogged = true;
    this.log().warn('Dropped a malformed Twilio stream message (logged once per call)', { error });
  }

  close(code: number, reason: string): void {
    if (this.socket.readyState === WebSocket.OPEN || this.socket.readyState === WebSocket.CONNECTING) {
      this.socket.close(code, reason);
    }
  }

  /**
   * Resolves once Twilio has played everything sent so far (the echo of a mark sent now), or after
   * PLAYBACK_DRAIN_LIMIT_MS, or when the call ends (`settleAll`).
   */
  waitForPlayback(
    streamSid: string,
    setTimer: (fn: () => void, ms: number) => NodeJS.Timeout,
  ): Promise<void> {
    if (!this.open) return Promise.resolve();
    const name = `drain-${++this.drainSeq}`;
    return new Promise<void>((resolve) => {
      const timer = setTimer(() => settle(), PLAYBACK_DRAIN_LIMIT_MS);
      const settle = () => {
        this.markWaiters.delete(name);
        clearTimeout(timer);
        resolve();
      };
      this.markWaiters.set(name, settle);
      this.send(markMessage(streamSid, name));
    });
  }

  /** The call ended: nothing waits for playback any more. */
  settleAll(): void {
    for (const settle of [...this.markWaiters.values()]) settle();
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (isBinary) {
      this.dropMalformed('binary frame');
      return;
    }
    const parsed = parseTwilioMessage(data.toString());
    if (!parsed.ok) {
      this.dropMalformed(parsed.problem);
      return;
    }
    const message = parsed.message;
    switch (message.event) {
      case 'media':
        this.events.media(message.payload, message.timestampMs);
        return;
      case 'start':
        this.events.start(message);
        return;
      case 'mark':
        this.markWaiters.get(message.name)?.();
        this.events.mark(message.name);
        return;
      case 'dtmf':
        this.events.dtmf(message.digit);
        return;
      case 'stop':
        this.events.stop();
        return;
      case 'connected':
        return;
    }
  }
}
