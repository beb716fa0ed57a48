import type { EngineCapabilities, EngineSession } from '../core/ports/engine.js';
import { base64ByteLength, ULAW_BYTES_PER_MS } from '../core/shared/audio.js';
import type { EngineName } from '../core/shared/engines.js';
import { AgentPlayback } from './agent-playback.js';
import type { PlaybackTap } from './call-recorder.js';
import type { HeardTranscript } from './heard-transcript.js';
import { callerFrameLevel } from './turn-taking/caller-vad.js';
import { TURN_TAKING_DEFAULTS, type TurnObserver, TurnTaking } from './turn-taking/turn-taking.js';

/** Untracked playback (no marks): the agent counts as audible this long after its last audio. */
const AUDIBLE_AFTER_AUDIO_MS = 300;
const REPROMPT_INSTRUCTION =
  'The caller has said nothing for a few seconds. Briefly ask whether they are still there or need anything else.';

export interface ServingEngineContext {
  streamSid: string;
  /** Sends a Media Streams message to Twilio. */
  send(message: string): void;
  /** The call's engine session (the failover composite), once started. */
  session(): EngineSession | undefined;
  transcript(): HeardTranscript | undefined;
  /** Twilio's latest inbound media timestamp (its playback clock). */
  mediaMs(): number;
  now(): number;
  /** A tool runs: silence is expected, no re-prompt. */
  busy(): boolean;
  /** Runs `fn` after `ms` unless the call has ended (the call's timers). */
  later(fn: () => void, ms: number): void;
  /** Caller speech over the agent this long interrupts it (BARGE_IN_MIN_MS). */
  interruptAfterMs: number;
  /** Told what is played and cleared (the call's recording), if the call is recorded. */
  tap?: PlaybackTap;
}

/**
 * The conversation's floor while one engine serves the call: its audio on the way to the caller,
 * the caller's speech measured on the way in, and the turn-taking between them (the bridge's own
 * decisions on engines that leave barge-in to it). A new one per engine: a new engine's items,
 * replies and playback start afresh.
 */
export class ServingEngine {
  readonly playback: AgentPlayback;
  readonly turns: TurnTaking;
  private lastAudioAt = 0;
  /** Audio of a reply the bridge stopped is stale: dropped until the engine moves on. */
  private cutItemId: string | undefined;

  constructor(
    readonly engine: EngineName,
    readonly capabilities: EngineCapabilities,
    private readonly context: ServingEngineContext,
    observer: TurnObserver,
  ) {
    this.playback = new AgentPlayback(
      context.streamSid,
      context.send,
      capabilities.truncateOnBargeIn,
      context.tap,
    );
    this.turns = new TurnTaking(
      {
        ...TURN_TAKING_DEFAULTS,
        decides: capabilities.bargeIn === 'bridge',
        interruptAfterMs: context.interruptAfterMs,
      },
      {
        pause: () => this.playback.pause(context.mediaMs()),
        hold: (releaseInMs) => {
          this.playback.hold();
          context.later(() => this.turns.tick(context.now()), releaseInMs + 20);
        },
        resume: () => this.playback.resume(context.mediaMs()),
        interrupt: () => this.interrupt(),
        respond: () => {
          this.cutItemId = undefined;
          context.session()?.respond();
        },
        reprompt: () => {
          context.session()?.instruct(REPROMPT_INSTRUCTION);
          context.session()?.respond();
        },
      },
      observer,
      (now) => this.audible(now),
      context.busy,
    );
  }

  /** When agent audio last arrived (epoch ms). */
  get lastAgentAudioAt(): number {
    return this.lastAudioAt;
  }

  /** Agent audio from the engine; false when it belongs to a reply the bridge stopped. */
  agentAudio(payload: string, itemId: string | undefined): boolean {
    if (itemId !== undefined && itemId === this.cutItemId) return false;
    const now = this.context.now();
    this.lastAudioAt = now;
    this.turns.agentAudio(now);
    this.playback.play(payload, itemId, this.context.mediaMs());
    return true;
  }

  /** A live caller frame, measured for turn-taking (the payload itself goes on untouched). */
  callerAudio(payload: string): void {
    const ms = base64ByteLength(payload) / ULAW_BYTES_PER_MS;
    this.turns.callerFrame(callerFrameLevel(payload), ms, this.context.now());
  }

  /** A Twilio mark echoed. */
  mark(name: string): void {
    if (this.playback.onMark(name, this.context.mediaMs())) this.turns.playbackChanged(this.context.now());
  }

  /** The engine decided the caller barged in (`bargeIn: 'engine'`): stop the playback now. */
  engineInterrupted(): void {
    this.playback.cut(this.context.mediaMs());
  }

  /** Whether the caller can hear the agent at `now` (audio queued at Twilio, or arriving right now). */
  private audible(now: number): boolean {
    if (this.playback.isPaused()) return false;
    return this.playback.isPlaying() || now - this.lastAudioAt < AUDIBLE_AFTER_AUDIO_MS;
  }

  /** The bridge stopped the reply for good: cancel it and cut it at what the caller heard. */
  private interrupt(): void {
    const session = this.context.session();
    session?.cancelResponse();
    const cut = this.playback.cut(this.context.mediaMs());
    if (!cut) return;
    this.cutItemId = cut.itemId;
    session?.truncate(cut.itemId, cut.audioEndMs);
    this.context.transcript()?.cut(cut.itemId, cut.audioEndMs, cut.deliveredMs);
  }
}
