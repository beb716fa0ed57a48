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
 * - Speech that goes on to `interruptAfterMs`, or a transcript with real words backed by enough
 *   speech the bridge heard itself, **interrupts** (cancel, cut at what was heard); the caller's
 *   turn is answered once it ends.
 * - Speech that stops short of it, with a transcript that is only "uh huh", "okay"… (or none within
 *   `transcriptWaitMs`, or a blip too short to wait for), **resumes** the same answer where it
 *   paused (a false interruption).
 * - A turn is never dropped: when the caller's turn ends and the agent is not audible, it is
 *   answered; words heard over the agent's last audio are answered once it has finished.
 * - A reply the bridge asked for is held until the caller has been quiet `replyAfterQuietMs`, and a
 *   reply not yet heard (or only just) when the caller goes on speaking (they paused to think) is
 *   cancelled: the whole turn is answered once, when they are done.
 * - After `repromptAfterMs` of silence once the agent has finished, the agent asks once more.
 *
 * Twilio sends caller frames every 20 ms for the whole call, so they are this class's clock: no
 * timers, and every decision is a function of the frames and events so far.
 */
export interface TurnActions {
  /** Stop the agent's audio now, keeping what the caller has not heard; the response goes on. */
  pause(): void;
  /**
   * Keep the reply's audio from the caller for now (nothing of it is playing yet); `tick` again
   * within `releaseInMs` in case no caller frame comes meanwhile.
   */
  hold(releaseInMs: number): void;
  /** Play what a pause or a hold kept, from where it stopped. */
  resume(): void;
  /** Stop the response for good: cancel it and cut its audio at what was heard. */
  interrupt(): void;
  /** Ask the engine to answer the caller's turn. */
  respond(): void;
  /** The caller has said nothing since the agent finished: ask them once more. */
  reprompt(): void;
}

export interface TurnObserver {
  /** The caller stopped speaking (bridge detector) → the caller hears the agent's answer begin. */
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
  /** A reply asked for plays once the caller has been quiet this long (a thinking pause is shorter). */
  replyAfterQuietMs: number;
  repromptAfterMs: number;
}

export const TURN_TAKING_DEFAULTS: Omit<TurnTakingOptions, 'decides'> = {
  pauseAfterMs: 200,
  interruptAfterMs: 1300,
  resumeAfterQuietMs: 400,
  transcriptWaitMs: 1500,
  replyAfterQuietMs: 1000,
  repromptAfterMs: 7000,
};

/** Speech over the agent shorter than this is a blip (a cough, "mm"): resumed without waiting for words. */
const SHORT_SPEECH_MS = 400;
/**
 * Words in a transcript interrupt only when the bridge itself heard this much of them: a TV the
 * engine transcribes but the bridge hears only in snatches (far under the caller's voice) must not.
 */
const WORDS_NEED_SPEECH_MS = 400;
/** Quiet that ends an utterance (speech after it starts a new one). */
const UTTERANCE_GAP_MS = 300;
/** Speech this soon after the caller's turn ended, before the reply is heard, continues that turn. */
const CONTINUATION_WINDOW_MS = 2500;
/** Speech that cancels a reply already audible (past a click or a breath). */
const CONTINUATION_MIN_MS = 60;
/** The same for a reply nobody hears yet: cancelling it costs the caller nothing, so sooner. */
const HELD_CONTINUATION_MIN_MS = 40;
/**
 * The caller said something (this much speech, or anything that stopped the agent) and the engine
 * showed no sign of hearing it (no speech start, no turn end) for DEAF_AFTER_MS of quiet: the
 * bridge asks for the answer itself. A live engine whose own detector missed a quiet caller
 * answers; a frozen one then fails its response watchdog and the call fails over.
 */
const DEAF_SPEECH_MS = 500;
const DEAF_AFTER_MS = 1500;
/** A reply heard for less than this is "not yet heard": the caller was not done. */
const REPLY_FRESH_MS = 600;
/** A caller turn with words unanswered this long is swallowed. */
const SWALLOWED_AFTER_MS = 8000;

type Reply = 'none' | 'requested' | 'held' | 'playing' | 'paused';

export class TurnTaking {
  private readonly vad = new CallerVad();
  private now = 0;
  // The caller's current utterance, by the bridge's detector.
  private speechMs = 0;
  private quietMs = UTTERANCE_GAP_MS;
  private lastVoicedAt = 0;
  private lastFrameAt = 0;
  /** When the caller's current utterance began, and when the bridge last answered an unheard one. */
  private utteranceAt = 0;
  private nudgedAt = 0;
  /** The longest utterance heard over the agent since it was last stopped (backs a transcript's words). */
  private overlapSpeechMs = 0;
  /** The agent was stopped (paused or interrupted) by what the caller is saying now. */
  private stoppedByCaller = false;
  // The agent's side.
  private reply: Reply = 'none';
  private replyAudibleMs = 0;
  private lastAgentAudioAt = 0;
  /** When the engine last ended a caller turn, and last heard the caller start speaking. */
  private turnEndedAt = 0;
  private engineSpeechAt = 0;
  /** A caller turn the agent was stopped for: answer it when the turn ends. */
  private owed = false;
  /** The engine ended a turn while the agent talked on (no pause): its words may still need an answer. */
  private letPass = false;
  /** Words let pass over the agent: answered once the agent has finished. */
  private answerWhenDone = false;
  /** When the bridge last asked for an answer (continuation window). */
  private answeredAt: number | undefined;
  private latencyFrom: number | undefined;
  private unansweredSince: number | undefined;
  private silentMs = 0;
  private reprompted = false;

  constructor(
    private readonly options: TurnTakingOptions,
    private readonly actions: TurnActions,
    private readonly observer: TurnObserver,
    /** Whether the caller can hear the agent at `now` (queued at Twilio, or arriving). */
    private readonly agentAudible: (now: number) => boolean,
    /** The agent is busy with something that is not speech (a tool runs): silence is expected. */
    private readonly agentBusy: () => boolean = () => false,
  ) {}

  /** One caller frame: `levelDb` from `callerFrameLevel`, lasting `ms`, received at `now`. */
  callerFrame(levelDb: number, ms: number, now: number): void {
    this.now = now;
    this.lastFrameAt = now;
    const audible = this.agentAudible(this.now);
    const speech = this.vad.frame(levelDb, !audible && this.reply === 'none');
    if (this.vad.voiced) this.lastVoicedAt = now;
    if (speech) {
      if (this.quietMs >= UTTERANCE_GAP_MS) {
        this.speechMs = 0;
        this.utteranceAt = now;
      }
      this.quietMs = 0;
      this.speechMs += ms;
      this.silentMs = 0;
      this.reprompted = false;
      if (audible || this.reply === 'paused')
        this.overlapSpeechMs = Math.max(this.overlapSpeechMs, this.speechMs);
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

  /**
   * Time passes with no caller frame (a stream that sends none while the caller is silent, as some
   * clients do): a held reply is released once the quiet since the last frame is long enough.
   */
  tick(now: number): void {
    this.now = now;
    const quietMs = this.quietMs + (now - this.lastFrameAt);
    if (this.options.decides && this.reply === 'held' && quietMs >= this.options.replyAfterQuietMs) {
      this.release(quietMs);
    }
  }

  /** Twilio played (or dropped) agent audio: the agent may have finished. */
  playbackChanged(now: number): void {
    this.now = now;
    this.agentSide(this.agentAudible(this.now));
  }

  /** Agent audio arrived from the engine (to play, or to keep while held or paused). */
  agentAudio(now: number): void {
    this.now = now;
    this.lastAgentAudioAt = now;
    this.silentMs = 0;
    this.unansweredSince = undefined;
    const quietMs = this.quietMs + (now - this.lastFrameAt);
    if (this.reply === 'requested' && this.options.decides && quietMs < this.options.replyAfterQuietMs) {
      this.reply = 'held';
      this.actions.hold(this.options.replyAfterQuietMs - quietMs);
      return;
    }
    if (this.reply === 'none' || this.reply === 'requested') this.startPlaying();
    else if (this.reply === 'playing') this.recordLatency();
  }

  /** The engine's own detector heard the caller start speaking. */
  engineSpeechStarted(now: number): void {
    this.now = now;
    this.engineSpeechAt = now;
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
    if (this.reply === 'requested' || this.reply === 'held' || this.reply === 'paused') return;
    if (!this.agentAudible(this.now)) {
      this.answer('turn ended');
      return;
    }
    this.letPass = true;
    this.observer.event('caller turn over the agent let pass', { speechMs: this.speechMs });
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
      if (!backchannel || !this.agentAudible(this.now)) this.startLatency();
      return;
    }
    const backed = this.overlapSpeechMs >= WORDS_NEED_SPEECH_MS;
    if (this.reply === 'paused') {
      if (backchannel || !backed) this.resume(backchannel ? 'backchannel transcript' : 'words barely heard');
      else {
        this.interrupt('words in the transcript');
        this.answer('interrupted turn ended');
      }
      return;
    }
    if (backchannel || this.owed || this.reply === 'requested' || this.reply === 'held') return;
    if (this.stoppedByCaller && backed && this.agentAudible(this.now)) {
      // It paused the agent, was taken for a backchannel and resumed; the words say otherwise.
      this.interrupt('words in the transcript after a resume');
      this.answer('interrupted turn ended');
    } else if (this.letPass) {
      // Words over the agent's last audio: answered now if it has finished, else once it has.
      this.letPass = false;
      if (!this.agentAudible(this.now) && this.reply === 'none') this.answer('transcript of a turn let pass');
      // Only words the bridge heard itself: a TV it barely hears gets no answer of its own.
      else if (Math.max(this.overlapSpeechMs, this.speechMs) >= WORDS_NEED_SPEECH_MS)
        this.answerWhenDone = true;
    }
  }

  /** A new engine serves the call: nothing of the old one's reply is playing or owed. */
  engineChanged(): void {
    this.reply = 'none';
    this.owed = false;
    this.letPass = false;
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

  /** The agent's reply is over once nothing of it is audible; words it went on through are then answered. */
  private agentSide(audible: boolean): void {
    if (this.reply === 'playing' && !audible) this.reply = 'none';
    if (this.answerWhenDone && this.reply === 'none' && !audible && this.options.decides) {
      this.answer('a turn heard over the agent, once it finished');
    }
  }

  private onSpeech(): void {
    const fresh =
      this.reply === 'requested' ||
      this.reply === 'held' ||
      (this.reply === 'playing' && this.replyAudibleMs < REPLY_FRESH_MS);
    const continuing =
      fresh && this.answeredAt !== undefined && this.now - this.answeredAt <= CONTINUATION_WINDOW_MS;
    if (
      continuing &&
      this.speechMs >= (this.reply === 'playing' ? CONTINUATION_MIN_MS : HELD_CONTINUATION_MIN_MS)
    ) {
      this.interrupt('the caller goes on after a pause');
      return;
    }
    if (
      this.reply === 'playing' &&
      this.agentAudible(this.now) &&
      this.speechMs >= this.options.pauseAfterMs
    ) {
      this.reply = 'paused';
      this.stoppedByCaller = true;
      this.observer.event('caller speech over the agent; agent paused', { speechMs: this.speechMs });
      this.actions.pause();
      return;
    }
    if (this.reply === 'paused' && this.speechMs >= this.options.interruptAfterMs) {
      this.interrupt('speech long enough to be an interruption');
    }
  }

  private onQuiet(ms: number, audible: boolean): void {
    if (this.reply === 'held' && this.quietMs >= this.options.replyAfterQuietMs) {
      this.release(this.quietMs);
      return;
    }
    if (
      this.reply === 'none' &&
      !audible &&
      (this.speechMs >= DEAF_SPEECH_MS || this.owed) &&
      this.quietMs >= DEAF_AFTER_MS &&
      // By the clock too: frames that arrive in a burst (a client catching up) are no time passing.
      this.now - this.lastVoicedAt >= DEAF_AFTER_MS &&
      this.utteranceAt > Math.max(this.engineSpeechAt, this.turnEndedAt, this.nudgedAt)
    ) {
      this.nudgedAt = this.now;
      this.answer('the engine showed no sign of hearing the caller');
      return;
    }
    if (this.reply === 'paused') {
      // A blip resumes at once; anything longer waits a while for its words (LiveKit's false-interruption timeout).
      const short = this.speechMs < SHORT_SPEECH_MS;
      const waitMs = short ? this.options.resumeAfterQuietMs : this.options.transcriptWaitMs;
      if (this.quietMs >= waitMs) this.resume(short ? 'short speech' : 'no words came');
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

  private release(quietMs: number): void {
    this.observer.event('the caller is done; the answer plays', { quietMs });
    this.actions.resume();
    this.startPlaying();
  }

  private startPlaying(): void {
    this.reply = 'playing';
    this.replyAudibleMs = 0;
    this.recordLatency();
  }

  private recordLatency(): void {
    if (this.latencyFrom === undefined) return;
    this.observer.turnLatency(this.now - this.latencyFrom);
    this.latencyFrom = undefined;
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
    this.stoppedByCaller = true;
    this.letPass = false;
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
    this.letPass = false;
    this.answerWhenDone = false;
    this.stoppedByCaller = false;
    this.overlapSpeechMs = 0;
    this.reply = 'requested';
    this.answeredAt = this.now;
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
