import { hasWords, isBackchannel } from './backchannel.js';
import { CallerVad } from './caller-vad.js';

/**
 * The call's turn-taking, from the bridge's side. On every engine it measures the caller's speech
 * with the bridge's own detector (turn latency starts where the caller stopped speaking, the same
 * way on every engine) and counts what the caller lived through. On engines that leave barge-in to
 * the bridge (`decides`: OpenAI, with `interrupt_response` and `create_response` off) it also
 * decides, the way LiveKit Agents and Pipecat do:
 *
 * - Speech over the agent for `pauseAfterMs` **pauses** it (Twilio's queue cleared, the unheard
 *   audio kept, the response still running).
 * - Speech that goes on to `interruptAfterMs`, or a transcript with real words, **interrupts**
 *   (cancel, cut at what was heard); the caller's turn is answered once it ends.
 * - Speech that stops short of it, with a transcript that is only "uh huh", "okay"… (or none
 *   within `transcriptWaitMs`, or a blip too short to wait for), **resumes** the same answer where it
 *   paused (a false interruption).
 * - A turn is never dropped: when the caller's turn ends and the agent is not audible, it is
 *   answered, whatever it was taken for when it began.
 * - A reply asked for but not yet heard when the caller goes on speaking (they only paused to
 *   think) is cancelled, and the whole turn answered once when they are done.
 * - After `repromptAfterMs` of silence once the agent has finished, the agent asks once more.
 *
 * Twilio sends caller frames every 20 ms for the whole call, so they are this class's clock: no
 * timers, and every decision is a pure function of the frames and events so far.
 */
export interface TurnActions {
  /** Stop the agent's audio now, keeping what the caller has not heard; the response goes on. */
  pause(): void;
  /** Play what the pause held, from where it stopped. */
  resume(): void;
  /** Stop the response for good: cancel it and cut its audio at what was heard. */
  interrupt(): void;
  /** Ask the engine to answer the caller's turn. */
  respond(): void;
  /** The caller has said nothing since the agent finished: ask them once more. */
  reprompt(): void;
}

export interface TurnObserver {
  /** The caller stopped speaking (bridge detector) → the agent's first audio of its answer. */
  turnLatency(ms: number): void;
  /** The caller interrupted the agent (the response was stopped for good). */
  bargeIn(): void;
  /** Speech over the agent paused it, then proved a backchannel: the answer resumed. */
  falseInterruption(): void;
  /** A caller turn with words was never answered. */
  turnSwallowed(): void;
  /** A turn-taking decision, for the call's log. */
  event(name: string, fields?: Record<string, unknown>): void;
}

export interface TurnTakingOptions {
  /** The bridge decides barge-in and when to answer (`bargeIn: 'bridge'`); else it only measures. */
  decides: boolean;
  pauseAfterMs: number;
  interruptAfterMs: number;
  resumeAfterQuietMs: number;
  /** Speech that paused the agent, then stopped: how long to wait for its transcript before resuming. */
  transcriptWaitMs: number;
  repromptAfterMs: number;
}

export const TURN_TAKING_DEFAULTS: Omit<TurnTakingOptions, 'decides'> = {
  pauseAfterMs: 200,
  interruptAfterMs: 1000,
  resumeAfterQuietMs: 400,
  transcriptWaitMs: 1500,
  repromptAfterMs: 7000,
};

/** Speech over the agent shorter than this is a blip (a cough, "mm"): resumed without waiting for words. */
const SHORT_SPEECH_MS = 400;
/** Quiet that ends an utterance (speech after it starts a new one). */
const UTTERANCE_GAP_MS = 300;
/** Speech this soon after the caller's turn ended, before the reply is heard, continues that turn. */
const CONTINUATION_WINDOW_MS = 2000;
/** Speech that cancels a reply not yet heard (past a click or a breath). */
const CONTINUATION_MIN_MS = 100;
/** A reply heard for less than this is "not yet heard": the caller was not done. */
const REPLY_FRESH_MS = 600;
/** A caller turn with words unanswered this long is swallowed. */
const SWALLOWED_AFTER_MS = 8000;

type Reply = 'none' | 'requested' | 'playing' | 'paused';

export class TurnTaking {
  private readonly vad = new CallerVad();
  private now = 0;
  // The caller's current utterance, by the bridge's detector.
  private speechMs = 0;
  private quietMs = UTTERANCE_GAP_MS;
  private lastVoicedAt = 0;
  /** The pause (or continuation cancel) in effect was caused by the current utterance. */
  private utteranceStoppedAgent = false;
  // The agent's side.
  private reply: Reply = 'none';
  private replyAudibleMs = 0;
  private lastAgentAudioAt = 0;
  /** When the engine last ended a caller turn. */
  private turnEndedAt = 0;
  /** A caller turn the agent was stopped for: answer it when the turn ends. */
  private owed = false;
  /** When the caller's last answered turn ended (continuation window). */
  private turnAnsweredAt: number | undefined;
  private latencyFrom: number | undefined;
  private unansweredSince: number | undefined;
  private silentMs = 0;
  private reprompted = false;
  /** Words heard over the agent that it went on through: answered once it has finished. */
  private answerWhenDone = false;

  constructor(
    private readonly options: TurnTakingOptions,
    private readonly actions: TurnActions,
    private readonly observer: TurnObserver,
    /** Whether the caller can hear the agent now (queued at Twilio, or arriving). */
    private readonly agentAudible: () => boolean,
    /** The agent is busy with something that is not speech (a tool runs): silence is expected. */
    private readonly agentBusy: () => boolean = () => false,
  ) {}

  /** One caller frame: `levelDb` from `callerFrameLevel`, lasting `ms`, received at `now`. */
  callerFrame(levelDb: number, ms: number, now: number): void {
    this.now = now;
    const audible = this.agentAudible();
    const speech = this.vad.frame(levelDb, !audible && this.reply === 'none');
    if (this.vad.voiced) this.lastVoicedAt = now;
    if (speech) {
      if (this.quietMs >= UTTERANCE_GAP_MS) {
        this.speechMs = 0;
        this.utteranceStoppedAgent = false;
      }
      this.quietMs = 0;
      this.speechMs += ms;
      this.silentMs = 0;
      this.reprompted = false;
    } else {
      this.quietMs += ms;
    }
    if (this.reply === 'playing' && audible) this.replyAudibleMs += ms;
    this.agentSide(audible);
    this.checkSwallowed();
    if (!this.options.decides) return;
    if (speech) this.onSpeech();
    else this.onQuiet(ms, audible);
  }

  /** Twilio played (or dropped) agent audio: the agent may have finished. */
  playbackChanged(now: number): void {
    this.now = now;
    this.agentSide(this.agentAudible());
  }

  /** The agent's reply is over once nothing of it is audible; words it went on through are then answered. */
  private agentSide(audible: boolean): void {
    if (this.reply === 'playing' && !audible) this.reply = 'none';
    if (this.answerWhenDone && this.reply === 'none' && !audible && this.options.decides) {
      this.answer('a turn heard over the agent, once it finished');
    }
  }

  /** Agent audio arrived from the engine (played or held). */
  agentAudio(now: number): void {
    this.now = now;
    this.lastAgentAudioAt = now;
    this.silentMs = 0;
    this.unansweredSince = undefined;
    if (this.latencyFrom !== undefined) {
      this.observer.turnLatency(now - this.latencyFrom);
      this.latencyFrom = undefined;
    }
    if (this.reply === 'none' || this.reply === 'requested') {
      this.reply = 'playing';
      this.replyAudibleMs = 0;
    }
  }

  /** The engine's turn-taking ended the caller's turn. */
  engineTurnEnded(now: number): void {
    this.now = now;
    this.turnEndedAt = now;
    if (!this.options.decides) return;
    if (this.owed) {
      this.answer('interrupted turn ended');
      return;
    }
    if (this.reply === 'requested' || this.reply === 'paused') return;
    if (!this.agentAudible()) this.answer('turn ended');
    else this.observer.event('caller turn over the agent let pass', { speechMs: this.speechMs });
  }

  /** The caller's words, once transcribed (after the turn ended, on both engines). */
  callerTranscript(text: string, now: number): void {
    this.now = now;
    if (!hasWords(text)) return;
    const backchannel = isBackchannel(text);
    // A transcript can arrive after the answer began (OpenAI transcribes after the turn ends).
    const answeredSinceTurnEnd = this.lastAgentAudioAt > this.turnEndedAt;
    if (!backchannel && !answeredSinceTurnEnd) this.unansweredSince ??= now;
    if (!this.options.decides) {
      // The engine answers on its own; latency runs from where the caller stopped speaking.
      if (!backchannel || !this.agentAudible()) this.startLatency();
      return;
    }
    if (this.reply === 'paused') {
      if (backchannel) this.resume('backchannel transcript');
      else {
        this.interrupt('words in the transcript');
        this.answer('interrupted turn ended');
      }
      return;
    }
    if (backchannel || this.owed || this.reply === 'requested') return;
    if (this.utteranceStoppedAgent && this.agentAudible()) {
      // It paused the agent, was taken for a backchannel and resumed; the words say otherwise.
      this.interrupt('words in the transcript after a resume');
      this.answer('interrupted turn ended');
    } else if (!answeredSinceTurnEnd || this.speechMs >= this.options.pauseAfterMs) {
      // Words the agent has not answered: now if it has finished, else once it has (never dropped).
      if (!this.agentAudible() && this.reply === 'none') this.answer('transcript of a turn not yet answered');
      else if (this.speechMs >= this.options.pauseAfterMs) this.answerWhenDone = true;
    }
  }

  /** A new engine serves the call: nothing of the old one's reply is playing or owed. */
  engineChanged(): void {
    this.reply = 'none';
    this.owed = false;
    this.answerWhenDone = false;
    this.latencyFrom = undefined;
  }

  /** The call ends: a caller turn with words still unanswered was swallowed. */
  callEnded(now: number): void {
    this.now = now;
    if (this.unansweredSince !== undefined && now - this.unansweredSince >= SWALLOWED_AFTER_MS / 2) {
      this.swallowed();
    }
  }

  private onSpeech(): void {
    if (this.reply === 'requested' || (this.reply === 'playing' && this.replyAudibleMs < REPLY_FRESH_MS)) {
      const continuing =
        this.turnAnsweredAt !== undefined && this.now - this.turnAnsweredAt <= CONTINUATION_WINDOW_MS;
      if (continuing && this.speechMs >= CONTINUATION_MIN_MS) {
        this.interrupt('the caller goes on after a pause');
        return;
      }
    }
    if (this.reply === 'playing' && this.agentAudible() && this.speechMs >= this.options.pauseAfterMs) {
      this.reply = 'paused';
      this.utteranceStoppedAgent = true;
      this.observer.event('caller speech over the agent; agent paused', { speechMs: this.speechMs });
      this.actions.pause();
      return;
    }
    if (this.reply === 'paused' && this.speechMs >= this.options.interruptAfterMs) {
      this.interrupt('speech long enough to be an interruption');
    }
  }

  private onQuiet(ms: number, audible: boolean): void {
    if (this.reply === 'paused') {
      // A blip resumes at once; anything longer waits a while for its words (LiveKit's false-interruption timeout).
      const waitMs =
        this.speechMs < SHORT_SPEECH_MS ? this.options.resumeAfterQuietMs : this.options.transcriptWaitMs;
      if (this.quietMs >= waitMs)
        this.resume(this.speechMs < SHORT_SPEECH_MS ? 'short speech' : 'no words came');
      return;
    }
    if (
      this.reply !== 'none' ||
      this.owed ||
      audible ||
      this.agentBusy() ||
      this.quietMs < UTTERANCE_GAP_MS
    ) {
      return;
    }
    this.silentMs += ms;
    if (
      this.silentMs >= this.options.repromptAfterMs &&
      !this.reprompted &&
      this.unansweredSince === undefined
    ) {
      this.reprompted = true;
      this.observer.event('caller silent after the agent; re-prompting', { silentMs: this.silentMs });
      this.reply = 'requested';
      this.actions.reprompt();
    }
  }

  private resume(why: string): void {
    this.reply = 'playing';
    this.observer.event('backchannel; agent resumed', { why, speechMs: this.speechMs });
    this.observer.falseInterruption();
    this.actions.resume();
  }

  private interrupt(why: string): void {
    const wasHeard = this.reply === 'playing' || this.reply === 'paused';
    this.reply = 'none';
    this.owed = true;
    this.utteranceStoppedAgent = true;
    this.latencyFrom = undefined;
    this.observer.event(wasHeard ? 'barge-in; agent stopped' : 'reply not yet heard cancelled', {
      why,
      speechMs: this.speechMs,
    });
    if (wasHeard) this.observer.bargeIn();
    this.actions.interrupt();
  }

  private answer(why: string): void {
    this.owed = false;
    this.answerWhenDone = false;
    this.reply = 'requested';
    this.turnAnsweredAt = this.now;
    this.startLatency();
    this.observer.event('answering the caller', { why });
    this.actions.respond();
  }

  /** Latency runs from where the caller last spoke, if that was after the agent's last audio. */
  private startLatency(): void {
    this.latencyFrom = this.lastVoicedAt > this.lastAgentAudioAt ? this.lastVoicedAt : this.now;
  }

  private checkSwallowed(): void {
    if (this.unansweredSince === undefined || this.quietMs < UTTERANCE_GAP_MS) return;
    if (this.now - this.unansweredSince >= SWALLOWED_AFTER_MS) this.swallowed();
  }

  private swallowed(): void {
    this.unansweredSince = undefined;
    this.observer.event('a caller turn was never answered');
    this.observer.turnSwallowed();
  }
}
