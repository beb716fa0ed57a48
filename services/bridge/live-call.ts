import type WebSocket from 'ws';
import { type CallSession, ENGINE_OUTAGE, remoteNumber, TRANSFERRED } from '../core/call/call-session.js';
import { shutdownWrapUpInstruction, wrapUpInstruction } from '../core/call/persona.js';
import type {
  EngineCallContext,
  EngineChange,
  EngineListener,
  EngineSession,
  EngineSwitch,
  VoiceEngine,
} from '../core/ports/engine.js';
import { failoverOrder } from '../core/shared/engines.js';
import { forCall, type Log, logger } from '../core/shared/logging.js';
import { CallMeter, describeEngineChange } from './call-meter.js';
import { CallRecorder } from './call-recorder.js';
import { CallTimers } from './call-timers.js';
import { CallTools } from './call-tools.js';
import { CallerAudioQueue } from './caller-audio-queue.js';
import { FallbackEngine, NoEngineError } from './fallback-engine.js';
import { hangUpAfterGoodbye } from './hang-up.js';
import { HeardTranscript } from './heard-transcript.js';
import { HOLD_PROMPT_FRAMES } from './hold-prompt.js';
import type { LiveCallDeps, TurnCount } from './live-call-deps.js';
import { ServingEngine } from './serving-engine.js';
import { SessionWriter } from './session-writer.js';
import { claimStream, engineContextFor } from './stream-claim.js';
import { transferReturnFor } from './transfer-return.js';
import { TwilioLeg, type TwilioStart } from './twilio-leg.js';
import { mediaMessage } from './twilio-media-codec.js';

/** The agent is done talking once no audio arrived for this long (used before a hang-up). */
const AGENT_QUIET_MS = 1_200;
/** How long before MAX_CALL_SECONDS the agent is told to wrap up. */
const WRAP_UP_NOTICE_MS = 60_000;

type Phase = 'awaiting-start' | 'claiming' | 'connecting' | 'live' | 'ended';

/**
 * One phone call on the bridge, orchestrated: the Twilio leg, the engine (one session to the call: a
 * failover composite over the configured engines), the turn-taking, the playback, the meter and the
 * session writer. Created per accepted WebSocket; `done` settles once the call has ended and its
 * writes are flushed.
 */
export type { LiveCallDeps, TurnCount } from './live-call-deps.js';

export class LiveCall {
  private phase: Phase = 'awaiting-start';
  private log: Log = logger;
  private readonly leg: TwilioLeg;
  private readonly meter: CallMeter;
  /** Caller audio that arrived while the engine connects. */
  private readonly queued = new CallerAudioQueue(() =>
    this.log.warn('Caller audio queue is full while the engine connects; oldest audio dropped'),
  );
  private callSid = '';
  private streamSid = '';
  /**
   * The engine the session chose; of the claimed session only this outlives the call's start (the
   * rest is read once, so the whole record is not held for the call's length).
   */
  private chosenEngine: CallSession['provider'] | undefined;
  private engineSession: EngineSession | undefined;
  private serving: ServingEngine | undefined;
  private writer: SessionWriter | undefined;
  private transcript: HeardTranscript | undefined;
  private malformedLogged = false;
  private latestMediaMs = 0;
  private connectStartedAt = 0;
  private tools: CallTools | undefined;
  private recorder: CallRecorder | undefined;
  private readonly timers: CallTimers;
  private readonly connectAbort = new AbortController();
  private endingAfterPlayback = false;
  private finished = false;
  private resolveDone!: () => void;
  readonly done: Promise<void> = new Promise((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    twilio: WebSocket,
    private readonly deps: LiveCallDeps,
  ) {
    this.meter = new CallMeter(deps.now);
    this.timers = new CallTimers(deps.now);
    this.leg = new TwilioLeg(twilio, {
      start: (start) => {
        if (this.phase === 'awaiting-start') void this.begin(start);
        else this.malformed('a second start');
      },
      media: (payload, timestampMs) => this.onCallerAudio(payload, timestampMs),
      mark: (name) => this.serving?.mark(name),
      dtmf: (digit) => this.engineSession?.sendKeypress(digit),
      stop: () => this.end('caller-hung-up'),
      closed: (reason, detail) => {
        if (detail) this.log.warn('Twilio socket error', { error: detail });
        this.end(reason);
      },
      overloaded: () => this.overloaded('twilio'),
      malformed: (error) => this.malformed(error),
    });
  }

  /** Twilio's `start` arrived (the stream-start timeout no longer applies). */
  get started(): boolean {
    return this.callSid !== '';
  }

  /** Ends the call from outside (shutdown). */
  shutdown(reason: string): void {
    this.end(reason);
  }

  private onCallerAudio(payload: string, timestampMs: number): void {
    if (this.phase === 'ended') return;
    this.latestMediaMs = timestampMs;
    this.recorder?.callerAudio(payload, timestampMs);
    if (this.phase === 'live') this.toEngine(payload);
    else if (this.phase === 'awaiting-start') this.malformed('media before start');
    else this.queued.push(payload);
  }

  /** A live caller frame: measured for turn-taking, then passed on untouched. */
  private toEngine(payload: string): void {
    this.serving?.callerAudio(payload);
    // An engine socket that backs up is failed over by the composite (`backpressure`), not the call ended.
    this.engineSession?.sendCallerAudio(payload);
  }

  private malformed(error: string): void {
    if (this.malformedLogged) return;
    this.malformedLogged = true;
    this.log.warn('Dropped a malformed Twilio stream message (logged once per call)', { error });
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
    this.chosenEngine = session.provider;
    const returning = await transferReturnFor(session, this.deps.sessions).catch(
      (error: unknown) => error as Error,
    );
    this.writer = new SessionWriter(this.deps.sessions, this.callSid, this.deps.now, {
      after: returning instanceof Error ? undefined : returning?.after,
    });
    this.tools = new CallTools(this.deps.tools, {
      callSid: this.callSid,
      remoteNumber: remoteNumber(session),
      now: this.deps.now,
      writer: () => this.writer,
      liveSession: () => (this.phase === 'ended' ? undefined : this.engineSession),
    });
    this.transcript = new HeardTranscript(this.writer);
    if (this.phase !== 'claiming') {
      // The caller hung up while we checked the token.
      this.writer.ended('caller-hung-up');
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
    this.startRecording();
    const context = engineContextFor(session, {
      streamSid: this.streamSid,
      business: this.deps.business,
      tools: this.deps.tools.definitions(),
      now: this.deps.now(),
      businessProfile: await profile,
      recorded: this.deps.recordings !== undefined,
    });
    await this.connectEngine(session, returning ? { ...context, handover: returning.handover } : context);
  }

  /**
   * Starts the call's engine: the chosen one, else the others in registry order (failover), as one
   * composite that also fails over mid-call. No engine at all: the stream closes, and the TwiML's
   * apology after `<Connect>` tells the caller we will call back.
   */
  private async connectEngine(session: CallSession, context: EngineCallContext): Promise<void> {
    const members = failoverOrder(session.provider)
      .map((name) => this.deps.engines[name])
      .filter((engine): engine is VoiceEngine => engine !== undefined);
    const composite = new FallbackEngine(members, {
      connectTimeoutMs: this.deps.engineConnectTimeoutMs,
      now: this.deps.now,
      log: this.log,
    });
    this.connectStartedAt = this.deps.now();
    try {
      const engineSession = await composite.start(context, this.listener(), this.connectAbort.signal);
      if (this.phase !== 'connecting') {
        engineSession.close(); // the caller hung up meanwhile
        return;
      }
      this.engineSession = engineSession;
      this.phase = 'live';
      this.scheduleCallLimit();
      for (const payload of this.queued.drain()) this.toEngine(payload);
    } catch (error) {
      if (this.phase !== 'connecting') return;
      const reason =
        error instanceof NoEngineError ? error.failures || 'no engine configured' : String(error);
      this.deps.onEngineChosen?.({ callSid: this.callSid, chosen: session.provider, failoverReason: reason });
      this.log.error('No engine could take the call; the caller hears the apology', { reason });
      this.end(`${ENGINE_OUTAGE}: ${reason}`);
    }
  }

  private listener(): EngineListener {
    const live = () => this.phase !== 'ended';
    return {
      audio: (payload, itemId) => {
        if (!live()) return; // the engine's codec checked the payload is base64
        this.onAgentAudio(payload, itemId);
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
        if (role === 'agent') {
          this.transcript?.agent(text, details);
          return;
        }
        this.transcript?.caller(text);
        this.serving?.turns.callerTranscript(text, this.deps.now());
      },
      toolCall: (call) => {
        if (live()) void this.runTool(call);
      },
      usage: (usage) => this.meter.usage(usage),
      engineChanged: (change) => this.onEngineChanged(change),
      switching: (event) => {
        if (live()) this.onSwitching(event);
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

  private onAgentAudio(payload: string, itemId: string | undefined): void {
    // The composite names an engine (engineChanged) before it forwards any of its audio.
    if (!this.serving?.agentAudio(payload, itemId)) return;
    const failoverMs = this.meter.agentAudio();
    if (failoverMs !== undefined) {
      this.log.info('The new engine speaks after a mid-call failover', { failoverMs });
      this.recordEngineUse();
    }
  }

  /**
   * Mid-call the serving engine dropped and the next one connects: the caller hears "One moment,
   * please." (after what Twilio still has queued), not silence. Sent straight to Twilio: it is not
   * agent audio (no turn latency, no failover time, nothing to cut or truncate).
   */
  private onSwitching(event: EngineSwitch): void {
    if (event.stall) this.deps.onEngineStall?.(event.from, event.stall);
    this.log.warn('The serving engine dropped; the caller hears the hold prompt', {
      from: event.from,
      reason: event.reason,
      stall: event.stall,
    });
    for (const frame of HOLD_PROMPT_FRAMES) this.leg.send(mediaMessage(this.streamSid, frame));
  }

  private onEngineChanged(change: EngineChange): void {
    this.meter.engineChanged(change, this.connectStartedAt);
    this.serving?.turns.engineChanged();
    this.serving = this.serve(change);
    const chosen = this.chosenEngine ?? change.engine;
    const failoverReason = describeEngineChange(change, chosen, this.meter.failover, this.log);
    this.writer?.engine({
      servedBy: change.engine,
      failoverReason,
      conversationId: change.conversationId,
      use: this.meter.use(),
    });
    this.deps.onEngineChosen?.({
      callSid: this.callSid,
      chosen,
      servedBy: change.engine,
      failoverReason,
      failoverMs: this.meter.failover,
      midCall: change.previous !== undefined,
    });
  }

  /** The floor for a (new) engine: its items, replies and playback start afresh. */
  private serve(change: EngineChange): ServingEngine {
    const engine = change.engine;
    const count = (what: TurnCount) => this.deps.onTurnCount?.(what, engine);
    return new ServingEngine(engine, change.capabilities, {
      streamSid: this.streamSid,
      send: (message) => this.leg.send(message),
      session: () => this.engineSession,
      transcript: () => this.transcript,
      mediaMs: () => this.latestMediaMs,
      now: this.deps.now,
      busy: () => this.tools?.running === true,
      later: (fn, ms) => {
        this.timers.set(fn, ms);
      },
      interruptAfterMs: this.deps.bargeInMinMs,
      tap: this.recorder,
      observer: {
        turnLatency: (ms) => {
          this.meter.turnLatency(ms);
          this.deps.onTurnLatency?.(ms, engine);
        },
        bargeIn: () => count('bargeIn'),
        falseInterruption: () => count('falseInterruption'),
        turnSwallowed: () => count('turnSwallowed'),
        event: (name, fields) => this.log.info(`Turn-taking: ${name}`, { ...fields, engine }),
      },
    });
  }

  /** RECORD_CALLS=on: the recorder takes both directions from here on; its key is on the session. */
  private startRecording(): void {
    if (!this.deps.recordings) return;
    this.recorder = new CallRecorder(this.callSid, this.deps.recordings, {
      mediaMs: () => this.latestMediaMs,
      log: this.log,
    });
    this.writer?.recording({ status: 'writing', key: this.recorder.key });
  }

  private recordEngineUse(): void {
    const use = this.meter.use();
    if (use) this.writer?.engineUse(use);
  }

  /** MAX_CALL_SECONDS: a wrap-up notice a minute before, then the call ends after the goodbye. */
  private scheduleCallLimit(): void {
    const limitMs = this.deps.maxCallSeconds * 1000;
    this.timers.set(
      () => {
        this.log.info('The call nears its length limit; the agent is told to wrap up');
        this.engineSession?.instruct(wrapUpInstruction());
      },
      // A minute before the limit; for a limit of a few minutes or less, in its last third.
      limitMs - Math.min(WRAP_UP_NOTICE_MS, limitMs / 3),
    );
    this.timers.set(() => void this.hangUpAfterGoodbye('max-call-duration'), limitMs);
  }

  private async runTool(call: { callId: string; name: string; args: unknown }): Promise<void> {
    const endsCall = await this.tools?.run(call);
    if (endsCall === 'hangup') void this.hangUpAfterGoodbye('agent-ended-call');
    // The tool already redirected the live call to a person: this stream is over.
    if (endsCall === 'transfer') this.end(TRANSFERRED);
  }

  /** The conversation is over (`end_call`, the engine's goodbye close, the length limit). */
  private async hangUpAfterGoodbye(reason: string): Promise<void> {
    if (this.endingAfterPlayback) return;
    this.endingAfterPlayback = true;
    await hangUpAfterGoodbye({
      callSid: this.callSid,
      streamSid: this.streamSid,
      leg: this.leg,
      timers: this.timers,
      callControl: this.deps.callControl,
      log: this.log,
      agentQuiet: () => this.deps.now() - (this.serving?.lastAgentAudioAt ?? 0) >= AGENT_QUIET_MS,
      live: () => this.phase !== 'ended',
    });
    if (this.phase !== 'ended') this.end(reason);
  }

  private overloaded(side: 'twilio'): void {
    if (this.phase === 'ended') return;
    this.log.error('A socket cannot keep up; ending the call rather than buffering without limit', { side });
    this.end(`${side}-backpressure`);
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
    this.writer?.ended(reason, this.meter.use());
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.timers.clearAll();
    this.leg.settleAll();
    this.queued.clear();
    // The recording is stored (or failed) and its state written, like the tools' records, before `done`.
    const recorded = this.recorder?.finish().then((recording) => this.writer?.recording(recording));
    // The call's end waits for its tools: their records are written before `done`.
    void Promise.all([this.tools?.settled(), recorded])
      .then(() => this.writer?.flush())
      .then(() => this.resolveDone());
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
}
