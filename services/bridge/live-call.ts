import type WebSocket from 'ws';
import { ENGINE_OUTAGE, TRANSFERRED } from '../core/call/call-session.js';
import { shutdownWrapUpInstruction, wrapUpInstruction } from '../core/call/persona.js';
import type { EngineCallContext, EngineChange, EngineListener, EngineSession } from '../core/ports/engine.js';
import { forCall, type Log, logger } from '../core/shared/logging.js';
import {
  assembleCallParts,
  type CallHandle,
  type CallParts,
  servingContext,
  startRecording,
} from './call-parts.js';
import { CallTimers, scheduleCallLimit } from './call-timers.js';
import { CallerAudioQueue } from './caller-audio-queue.js';
import type { EngineSelection } from './engines.js';
import { NoEngineError } from './fallback-engine.js';
import { HOLD_PROMPT_FRAMES } from './hold-prompt.js';
import type { LiveCallDeps } from './live-call-deps.js';
import { ServingEngine } from './serving-engine.js';
import { SessionWriter } from './session-writer.js';
import { claimStream, engineContextFor } from './stream-claim.js';
import { transferReturnFor } from './transfer-return.js';
import { TwilioLeg, type TwilioStart } from './twilio-leg.js';

export type { LiveCallDeps, TurnCount } from './live-call-deps.js';

/**
 * Where a call is: waiting for Twilio's `start`, checking its token, connecting its engine, live
 * (caller audio flows to the engine), or ended. Only `begin`, `connect` and `end` move it on.
 */
type Phase = 'awaiting-start' | 'claiming' | 'connecting' | 'live' | 'ended';

/**
 * One phone call on the bridge, orchestrated: the Twilio leg, the engine (one session to the call: a
 * failover composite over the configured engines), the turn-taking, the playback, the engine ledger
 * and the session writer. Created per accepted WebSocket; `done` settles once the call has ended and
 * its writes are flushed.
 */
export class LiveCall {
  private phase: Phase = 'awaiting-start';
  private log: Log = logger;
  private callSid = '';
  private streamSid = '';
  private parts: CallParts | undefined;
  private callHandle: CallHandle | undefined;
  private engineSession: EngineSession | undefined;
  /** The engine serving now, with its playback and turn-taking (a new one per engine). */
  private serving: ServingEngine | undefined;
  /** Twilio's latest inbound media timestamp (its playback clock). */
  private latestMediaMs = 0;
  private finished = false;
  private resolveDone!: () => void;
  private readonly leg: TwilioLeg;
  private readonly timers: CallTimers;
  private readonly connectAbort = new AbortController();
  /** Caller audio that arrived while the engine connects. */
  private readonly queued = new CallerAudioQueue(() =>
    this.log.warn('Caller audio queue is full while the engine connects; oldest audio dropped'),
  );
  readonly done: Promise<void> = new Promise((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    twilio: WebSocket,
    private readonly deps: LiveCallDeps,
    /** The engine for the call's chosen one (a failover composite); undefined: none configured. */
    private readonly engineFor: EngineSelection,
  ) {
    this.timers = new CallTimers(deps.now);
    this.leg = new TwilioLeg(
      twilio,
      {
        start: (start) => {
          if (this.phase === 'awaiting-start') void this.begin(start);
          else this.leg.dropMalformed('a second start');
        },
        media: (payload, timestampMs) => this.onCallerAudio(payload, timestampMs),
        mark: (name) => this.serving?.mark(name),
        dtmf: (digit) => this.engineSession?.sendKeypress(digit),
        stop: () => this.end('caller-hung-up'),
        closed: (reason, detail) => {
          if (detail) this.log.warn('Twilio socket error', { error: detail });
          this.end(reason);
        },
        overloaded: () => this.overloaded(),
      },
      () => this.log,
    );
  }

  /** Twilio's `start` arrived (the stream-start timeout no longer applies). */
  get started(): boolean {
    return this.callSid !== '';
  }

  /** Ends the call from outside (shutdown). */
  shutdown(reason: string): void {
    this.end(reason);
  }

  /**
   * The task is stopping: the agent is told to wrap up (it usually ends the call itself with
   * `end_call`); after `noticeMs` the call is hung up after its goodbye. A call not live yet ends now.
   */
  wrapUp(reason: string, noticeMs: number): void {
    if (this.phase !== 'live') {
      this.end(reason);
      return;
    }
    this.log.info('The bridge is stopping; the agent is told to wrap up', { noticeMs });
    this.engineSession?.instruct(shutdownWrapUpInstruction());
    this.timers.set(() => void this.hangUpAfterGoodbye(reason), noticeMs);
  }

  /** What the call's parts read from it: one per call, built after `start` set its ids and log. */
  private handle(): CallHandle {
    this.callHandle ??= {
      callSid: this.callSid,
      streamSid: this.streamSid,
      leg: this.leg,
      timers: this.timers,
      log: this.log,
      deps: this.deps,
      live: () => this.phase !== 'ended',
      engineSession: () => this.engineSession,
      serving: () => this.serving,
      mediaMs: () => this.latestMediaMs,
    };
    return this.callHandle;
  }

  private onCallerAudio(payload: string, timestampMs: number): void {
    if (this.phase === 'ended') return;
    this.latestMediaMs = timestampMs;
    this.parts?.recorder?.callerAudio(payload, timestampMs);
    if (this.phase === 'live') this.toEngine(payload);
    else if (this.phase === 'awaiting-start') this.leg.dropMalformed('media before start');
    else this.queued.push(payload);
  }

  /** A live caller frame: measured for turn-taking, then passed on untouched. */
  private toEngine(payload: string): void {
    this.serving?.callerAudio(payload);
    // An engine socket that backs up is failed over by the composite (`backpressure`), not the call ended.
    this.engineSession?.sendCallerAudio(payload);
  }

  private async begin(start: TwilioStart): Promise<void> {
    this.phase = 'claiming';
    this.callSid = start.callSid;
    this.streamSid = start.streamSid;
    this.log = forCall(start.callSid);
    // Read alongside the token check; the source caches and never rejects (worst case: no profile).
    const profile = this.deps.businessProfile?.current();
    const claim = await claimStream(start, this.deps.accountSid, this.deps.sessions, this.deps.now());
    if ('refused' in claim) {
      this.log.warn('Refused a media stream', { why: claim.refused });
      this.phase = 'ended';
      this.leg.close(1008, 'stream not authorised');
      return this.finish();
    }
    const session = claim.session;
    const returning = await transferReturnFor(session, this.deps.sessions).catch(
      (error: unknown) => error as Error,
    );
    const writer = new SessionWriter(this.deps.sessions, this.callSid, this.deps.now, {
      after: returning instanceof Error ? undefined : returning?.after,
    });
    this.parts = assembleCallParts(this.handle(), session, writer);
    if (this.phase !== 'claiming') {
      // The caller hung up while we checked the token.
      writer.ended('caller-hung-up');
      return this.finish();
    }
    this.phase = 'connecting';
    if (returning instanceof Error) {
      // Without the conversation so far the agent would start blind; the caller hears the
      // apology after <Connect> (we will call back), and the call stays a callback due.
      this.log.error('The call record could not be read for the caller back from a transfer', {
        error: returning,
      });
      return this.end('transfer-return-unreadable');
    }
    startRecording(this.handle(), this.parts);
    const context = engineContextFor(session, {
      streamSid: this.streamSid,
      business: this.deps.business,
      tools: this.deps.tools.definitions(),
      now: this.deps.now(),
      businessProfile: await profile,
      recorded: this.deps.recordings !== undefined,
    });
    await this.connect(this.parts, returning ? { ...context, handover: returning.handover } : context);
  }

  /**
   * Starts the call's engine (the selection's failover composite, which also fails over mid-call).
   * No engine at all: the stream closes, and the TwiML's apology after `<Connect>` tells the caller
   * we will call back.
   */
  private async connect(parts: CallParts, context: EngineCallContext): Promise<void> {
    parts.ledger.connecting();
    try {
      const engine = this.engineFor(parts.chosenEngine);
      if (!engine) throw new NoEngineError('');
      const engineSession = await engine.start(context, this.listener(parts), this.connectAbort.signal);
      if (this.phase !== 'connecting') {
        engineSession.close(); // the caller hung up meanwhile
        return;
      }
      this.engineSession = engineSession;
      this.phase = 'live';
      scheduleCallLimit(this.timers, this.deps.maxCallSeconds * 1000, {
        notice: () => {
          this.log.info('The call nears its length limit; the agent is told to wrap up');
          this.engineSession?.instruct(wrapUpInstruction());
        },
        limit: () => void this.hangUpAfterGoodbye('max-call-duration'),
      });
      for (const payload of this.queued.drain()) this.toEngine(payload);
    } catch (error) {
      if (this.phase !== 'connecting') return;
      const reason =
        error instanceof NoEngineError ? error.failures || 'no engine configured' : String(error);
      parts.ledger.noEngine(reason);
      this.log.error('No engine could take the call; the caller hears the apology', { reason });
      this.end(`${ENGINE_OUTAGE}: ${reason}`);
    }
  }

  /** The engine's events, acted on while the call lasts. */
  private listener({ ledger, transcript }: CallParts): EngineListener {
    const live = () => this.phase !== 'ended';
    return {
      audio: (payload, itemId) => {
        // The engine's codec checked the payload is base64; audio of a reply the bridge cut is dropped.
        if (live() && this.serving?.agentAudio(payload, itemId)) ledger.agentAudio();
      },
      interruption: () => {
        if (live()) this.serving?.engineInterrupted();
      },
      callerSpeechStarted: () => {
        if (live()) this.serving?.turns.engineSpeechStarted(this.deps.now());
      },
      callerTurnEnded: () => {
        if (live()) this.serving?.turns.engineTurnEnded(this.deps.now());
      },
      transcript: (role, text, details) => {
        if (!live()) return;
        if (role === 'agent') return transcript.agent(text, details);
        transcript.caller(text);
        this.serving?.turns.callerTranscript(text, this.deps.now());
      },
      toolCall: (call) => {
        if (live()) void this.runTool(call);
      },
      usage: (usage) => ledger.usage(usage),
      engineChanged: (change) => this.onEngineChanged(change),
      switching: (event) => {
        if (!live()) return;
        // "One moment, please." rather than silence; not agent audio (nothing to time, cut or truncate).
        ledger.switching(event);
        this.leg.play(this.streamSid, HOLD_PROMPT_FRAMES);
      },
      ended: (reason) => {
        if (!live()) return;
        if (reason.kind === 'engine-closed' && reason.code === 1000) {
          // The agent said goodbye and its engine closed: hang up once Twilio has played it.
          this.log.info('The engine ended the conversation', { code: reason.code });
          void this.hangUpAfterGoodbye('engine-closed (1000)');
          return;
        }
        const detail = reason.kind === 'engine-closed' ? `engine-closed (${reason.code})` : reason.detail;
        this.log.error('No engine left to serve the call; the caller hears the apology', { detail });
        this.end(`${ENGINE_OUTAGE}: ${detail}`);
      },
    };
  }

  /** A (new) engine serves the call: its items, replies and playback start afresh. */
  private onEngineChanged(change: EngineChange): void {
    const parts = this.parts;
    if (!parts) return;
    this.serving?.turns.engineChanged();
    this.serving = new ServingEngine(
      change.engine,
      change.capabilities,
      servingContext(this.handle(), parts),
      parts.ledger.turnObserver(change.engine),
    );
    parts.ledger.changed(change);
  }

  private async runTool(call: { callId: string; name: string; args: unknown }): Promise<void> {
    const endsCall = await this.parts?.tools.run(call);
    if (endsCall === 'hangup') void this.hangUpAfterGoodbye('agent-ended-call');
    // The tool already redirected the live call to a person: this stream is over.
    if (endsCall === 'transfer') this.end(TRANSFERRED);
  }

  /** The conversation is over (`end_call`, the engine's goodbye close, the length limit). */
  private async hangUpAfterGoodbye(reason: string): Promise<void> {
    const ranItsCourse = await this.parts?.goodbye.run();
    if (ranItsCourse && this.phase !== 'ended') this.end(reason);
  }

  private overloaded(): void {
    if (this.phase === 'ended') return;
    this.log.error('A socket cannot keep up; ending the call rather than buffering without limit', {
      side: 'twilio',
    });
    this.end('twilio-backpressure');
  }

  /** Ends the call once: closes both sockets, stops every timer, records why. */
  private end(reason: string): void {
    if (this.phase === 'ended') {
      this.finish();
      return;
    }
    const wasStarted = this.phase !== 'awaiting-start';
    this.phase = 'ended';
    this.connectAbort.abort();
    this.serving?.turns.callEnded(this.deps.now());
    this.engineSession?.close();
    this.leg.close(1000, 'call ended');
    if (wasStarted) this.log.info('Call ended', { reason });
    // The end and the engine use so far go in one write.
    this.parts?.writer.ended(reason, this.parts.ledger.use());
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timers.clearAll();
    this.leg.settleAll();
    this.queued.clear();
    const parts = this.parts;
    // The recording is stored (or failed) and its state written, like the tools' records, before `done`.
    const recorded = parts?.recorder?.finish().then((recording) => parts.writer.recording(recording));
    // The call's end waits for its tools: their records are written before `done`.
    void Promise.all([parts?.tools.settled(), recorded])
      .then(() => parts?.writer.flush())
      .then(() => this.resolveDone());
  }
}
