import type WebSocket from 'ws';
import { base64ByteLength, ULAW_BYTES_PER_MS } from '../core/audio.js';
import type { BusinessProfileSource } from '../core/business-profile.js';
import {
  type CallSession,
  type CallSessionStore,
  ENGINE_OUTAGE,
  remoteNumber,
} from '../core/call-session.js';
import { forCall, logger } from '../core/logging.js';
import { wrapUpInstruction } from '../core/persona.js';
import type { CallControl } from '../core/ports.js';
import { hashStreamToken } from '../core/stream-token.js';
import type { ToolRunner } from '../core/tool-types.js';
import {
  type EngineCallContext,
  type EngineCapabilities,
  type EngineChange,
  type EngineListener,
  type EngineName,
  type EngineSession,
  failoverOrder,
  type VoiceEngine,
} from '../core/voice-engine.js';
import { AgentPlayback } from './agent-playback.js';
import { CallMeter } from './call-meter.js';
import { CallerAudioQueue } from './caller-audio-queue.js';
import { FallbackEngine, NoEngineError } from './fallback-engine.js';
import { hangUpWithRetries } from './hang-up.js';
import { HeardTranscript } from './heard-transcript.js';
import { SessionWriter } from './session-writer.js';
import { callerFrameLevel } from './turn-taking/caller-vad.js';
import { TURN_TAKING_DEFAULTS, type TurnObserver, TurnTaking } from './turn-taking/turn-taking.js';
import { MAX_BUFFERED_BYTES, PLAYBACK_DRAIN_LIMIT_MS, TwilioLeg, type TwilioStart } from './twilio-leg.js';

/** The agent is done talking once no audio arrived for this long (used before a hang-up). */
const AGENT_QUIET_MS = 1_200;
/** How long before MAX_CALL_SECONDS the agent is told to wrap up. */
const WRAP_UP_NOTICE_MS = 60_000;
/** Untracked playback (no marks): the agent counts as audible this long after its last audio. */
const AUDIBLE_AFTER_AUDIO_MS = 300;

/** Turn-taking outcomes counted per engine (metrics). */
export type TurnCount = 'bargeIn' | 'falseInterruption' | 'turnSwallowed';

export interface LiveCallDeps {
  accountSid: string;
  business: { name: string; timezone: string };
  engineConnectTimeoutMs: number;
  /** Caller speech over the agent this long is an interruption (`bargeIn: 'bridge'` engines). */
  bargeInMinMs: number;
  /** The call's length limit: a minute before it the agent is told to wrap up; at it the call ends. */
  maxCallSeconds: number;
  sessions: CallSessionStore;
  engines: Partial<Record<EngineName, VoiceEngine>>;
  tools: ToolRunner;
  callControl?: CallControl;
  now: () => number;
  /** The business's own knowledge, read per call (cached by the source); absent: none on file. */
  businessProfile?: BusinessProfileSource;
  /** Caller stops speaking → first agent audio sent, once per answered turn, on every engine (metrics). */
  onTurnLatency?: (ms: number, engine: EngineName) => void;
  /** Barge-ins, false interruptions and swallowed turns, per engine (metrics). */
  onTurnCount?: (count: TurnCount, engine: EngineName) => void;
  /** Told which engine serves a call: at start (with a start failover) and after each mid-call switch (metrics). */
  onEngineChosen?: (event: {
    callSid: string;
    chosen: EngineName;
    servedBy?: EngineName;
    failoverReason?: string;
    failoverMs?: number;
    /** A switch after the call had started (the serving engine dropped). */
    midCall?: boolean;
  }) => void;
}

type Phase = 'awaiting-start' | 'claiming' | 'connecting' | 'live' | 'ended';

interface Serving {
  engine: EngineName;
  capabilities: EngineCapabilities;
  playback: AgentPlayback;
  turns: TurnTaking;
}

/**
 * One phone call on the bridge, orchestrated: the Twilio leg, the engine (one session to the call: a
 * failover composite over the configured engines), the turn-taking, the playback, the meter and the
 * session writer. Created per accepted WebSocket; `done` settles once the call has ended and its
 * writes are flushed.
 */
export class LiveCall {
  private phase: Phase = 'awaiting-start';
  private log = logger;
  private readonly leg: TwilioLeg;
  private readonly meter: CallMeter;
  /** Caller audio that arrived while the engine connects. */
  private readonly queued = new CallerAudioQueue(() =>
    this.log.warn('Caller audio queue is full while the engine connects; oldest audio dropped'),
  );
  private callSid = '';
  private streamSid = '';
  private session: CallSession | undefined;
  private engineSession: EngineSession | undefined;
  private serving: Serving | undefined;
  private writer: SessionWriter | undefined;
  private transcript: HeardTranscript | undefined;
  private malformedLogged = false;
  private latestMediaMs = 0;
  private lastAgentAudioAt = 0;
  private connectStartedAt = 0;
  private toolsRunning = 0;
  private readonly earlyAudio: Array<[payload: string, itemId: string | undefined]> = [];
  /** Audio of a response the bridge stopped is stale: dropped until the engine moves on. */
  private cutItemId: string | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
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
    this.leg = new TwilioLeg(twilio, {
      start: (start) => {
        if (this.phase === 'awaiting-start') void this.begin(start);
        else this.malformed('a second start');
      },
      media: (payload, timestampMs) => this.onCallerAudio(payload, timestampMs),
      mark: (name) => {
        if (this.serving?.playback.onMark(name, this.latestMediaMs)) {
          this.serving.turns.playbackChanged(this.deps.now());
        }
      },
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
    if (this.phase === 'live') this.toEngine(payload);
    else if (this.phase === 'awaiting-start') this.malformed('media before start');
    else this.queued.push(payload);
  }

  /** A live caller frame: measured for turn-taking, then passed on untouched. */
  private toEngine(payload: string): void {
    this.serving?.turns.callerFrame(
      callerFrameLevel(payload),
      base64ByteLength(payload) / ULAW_BYTES_PER_MS,
      this.deps.now(),
    );
    const session = this.engineSession;
    if (!session) return;
    if (session.bufferedAmount() > MAX_BUFFERED_BYTES) this.overloaded('engine');
    else session.sendCallerAudio(payload);
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
    const token = start.customParameters.token;
    const refuse = (why: string) => {
      this.log.warn('Refused a media stream', { why });
      this.phase = 'ended';
      this.leg.close(1008, 'stream not authorised');
      this.finish();
    };
    if (start.accountSid !== this.deps.accountSid)
      return refuse('the stream belongs to another Twilio account');
    if (!token) return refuse('no stream token');
    if (start.customParameters.callSid && start.customParameters.callSid !== start.callSid) {
      return refuse('the token was issued for another call');
    }
    // Read alongside the token check; the source caches and never rejects (worst case: no profile).
    const profile = this.deps.businessProfile?.current();
    let session: CallSession | undefined;
    try {
      session = await this.deps.sessions.claimStream(
        start.callSid,
        hashStreamToken(token),
        start.streamSid,
        this.deps.now(),
      );
    } catch (error) {
      return refuse(`the session store failed: ${(error as Error).message}`);
    }
    if (!session) return refuse('unknown, already used, expired or wrong stream token');
    this.session = session;
    this.writer = new SessionWriter(this.deps.sessions, this.callSid, this.deps.now);
    this.transcript = new HeardTranscript(this.writer);
    if (this.phase !== 'claiming') {
      // The caller hung up while we checked the token.
      this.writer.ended('caller-hung-up');
      return this.finish();
    }
    this.phase = 'connecting';
    await this.connectEngine(session, this.engineContext(session, await profile));
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

  private engineContext(session: CallSession, businessProfile: EngineCallContext['businessProfile']) {
    return {
      callSid: session.callSid,
      streamSid: this.streamSid,
      direction: session.direction,
      remoteNumber: remoteNumber(session),
      businessName: this.deps.business.name,
      businessTimezone: this.deps.business.timezone,
      now: this.deps.now(),
      customer: session.customer,
      outboundReason: session.outboundReason,
      businessProfile,
      tools: this.deps.tools.definitions(),
    } satisfies EngineCallContext;
  }

  private listener(): EngineListener {
    const live = () => this.phase !== 'ended';
    return {
      audio: (payload, itemId) => {
        if (!live()) return; // the engine's codec checked the payload is base64
        if (itemId !== undefined && itemId === this.cutItemId) return;
        this.onAgentAudio(payload, itemId);
      },
      interruption: () => {
        if (live()) this.serving?.playback.cut(this.latestMediaMs);
      },
      callerSpeechStarted: () => {},
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
    const serving = this.serving;
    if (!serving) {
      // An engine can speak in the same packet as its "ready", before the composite names it.
      this.earlyAudio.push([payload, itemId]);
      return;
    }
    const now = this.deps.now();
    this.lastAgentAudioAt = now;
    const failoverMs = this.meter.agentAudio();
    if (failoverMs !== undefined) {
      this.log.info('The new engine speaks after a mid-call failover', { failoverMs });
      this.recordEngineUse();
    }
    serving.turns.agentAudio(now);
    serving.playback.play(payload, itemId, this.latestMediaMs);
  }

  /** Whether the caller can hear the agent now (audio queued at Twilio, or arriving right now). */
  private agentAudible(playback: AgentPlayback): boolean {
    if (playback.isPaused()) return false;
    return playback.isPlaying() || this.deps.now() - this.lastAgentAudioAt < AUDIBLE_AFTER_AUDIO_MS;
  }

  private onEngineChanged(change: EngineChange): void {
    this.meter.engineChanged(change, this.connectStartedAt);
    this.serving?.turns.engineChanged();
    this.serving = this.serve(change);
    this.cutItemId = undefined;
    for (const [payload, itemId] of this.earlyAudio.splice(0)) this.onAgentAudio(payload, itemId);
    const chosen = this.session?.provider ?? change.engine;
    let failoverReason: string | undefined;
    if (change.previous) {
      failoverReason = `${change.previous.engine}: ${change.previous.reason}`;
      this.log.warn('Failed over to another engine mid-call', {
        from: change.previous.engine,
        servedBy: change.engine,
        failoverReason,
      });
    } else if (change.startFailures) {
      failoverReason = change.startFailures;
      this.log.warn('Failed over to another engine', {
        chosen,
        servedBy: change.engine,
        failoverReason,
        failoverMs: this.meter.failover,
      });
    }
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

  /** The playback and turn-taking for a (new) engine: its items and replies start afresh. */
  private serve(change: EngineChange): Serving {
    const engine = change.engine;
    const bridgeCuts = change.capabilities.truncateOnBargeIn;
    const playback = new AgentPlayback(this.streamSid, (message) => this.leg.send(message), bridgeCuts);
    const count = (what: TurnCount) => this.deps.onTurnCount?.(what, engine);
    const observer: TurnObserver = {
      turnLatency: (ms) => {
        this.meter.turnLatency(ms);
        this.deps.onTurnLatency?.(ms, engine);
      },
      bargeIn: () => count('bargeIn'),
      falseInterruption: () => count('falseInterruption'),
      turnSwallowed: () => count('turnSwallowed'),
      event: (name, fields) => this.log.info(`Turn-taking: ${name}`, { ...fields, engine }),
    };
    const turns = new TurnTaking(
      {
        ...TURN_TAKING_DEFAULTS,
        decides: change.capabilities.bargeIn === 'bridge',
        interruptAfterMs: this.deps.bargeInMinMs,
      },
      {
        pause: () => playback.pause(),
        resume: () => playback.resume(this.latestMediaMs),
        interrupt: () => this.interruptAgent(playback),
        respond: () => {
          this.cutItemId = undefined;
          this.engineSession?.respond();
        },
        reprompt: () => {
          this.engineSession?.instruct(
            'The caller has said nothing for a few seconds. Briefly ask whether they are still there or need anything else.',
          );
          this.engineSession?.respond();
        },
      },
      observer,
      () => this.agentAudible(playback),
      () => this.toolsRunning > 0,
    );
    return { engine, capabilities: change.capabilities, playback, turns };
  }

  /** The bridge stopped the reply for good: cancel it and cut it at what the caller heard. */
  private interruptAgent(playback: AgentPlayback): void {
    this.engineSession?.cancelResponse();
    const cut = playback.cut(this.latestMediaMs);
    if (!cut) return;
    this.cutItemId = cut.itemId;
    this.engineSession?.truncate(cut.itemId, cut.audioEndMs);
    this.transcript?.cut(cut.itemId, cut.audioEndMs, cut.deliveredMs);
  }

  private recordEngineUse(): void {
    const use = this.meter.use();
    if (use) this.writer?.engineUse(use);
  }

  /** MAX_CALL_SECONDS: a wrap-up notice a minute before, then the call ends after the goodbye. */
  private scheduleCallLimit(): void {
    const limitMs = this.deps.maxCallSeconds * 1000;
    this.setTimer(
      () => {
        this.log.info('The call nears its length limit; the agent is told to wrap up');
        this.engineSession?.instruct(wrapUpInstruction());
      },
      // A minute before the limit; for a limit of a few minutes or less, in its last third.
      limitMs - Math.min(WRAP_UP_NOTICE_MS, limitMs / 3),
    );
    this.setTimer(() => void this.hangUpAfterGoodbye('max-call-duration'), limitMs);
  }

  private async runTool(call: { callId: string; name: string; args: unknown }): Promise<void> {
    const started = this.deps.now();
    this.toolsRunning++;
    const result = await this.deps.tools
      .run({
        callSid: this.callSid,
        remoteNumber: this.session ? remoteNumber(this.session) : '',
        name: call.name,
        args: call.args,
      })
      .finally(() => this.toolsRunning--);
    if (this.phase === 'ended') return;
    this.engineSession?.sendToolResult(call.callId, result);
    this.writer?.toolCall({
      name: call.name,
      args: call.args,
      result,
      at: started,
      durationMs: this.deps.now() - started,
    });
    if (result.endsCall === 'hangup') void this.hangUpAfterGoodbye('agent-ended-call');
    // The tool already redirected the live call to a person: this stream is over.
    if (result.endsCall === 'transfer') this.end('transferred');
  }

  /**
   * The conversation is over (`end_call`, the engine's goodbye close, the length limit): let the agent
   * finish, let Twilio play it, then hang up through the REST API. Hanging up, not closing the stream:
   * a stream that just ends would run the apology the TwiML holds after `<Connect>`.
   */
  private async hangUpAfterGoodbye(reason: string): Promise<void> {
    if (this.endingAfterPlayback) return;
    this.endingAfterPlayback = true;
    await this.waitUntil(
      () => this.deps.now() - this.lastAgentAudioAt >= AGENT_QUIET_MS,
      PLAYBACK_DRAIN_LIMIT_MS,
    );
    if (this.phase !== 'ended')
      await this.leg.waitForPlayback(this.streamSid, (fn, ms) => this.setTimer(fn, ms));
    if (this.phase === 'ended') return;
    if (this.deps.callControl) {
      // A call that ends meanwhile never resumes here: finish() clears the pause's timer.
      await hangUpWithRetries(
        this.deps.callControl,
        this.callSid,
        this.log,
        (ms) => new Promise<void>((resolve) => this.setTimer(resolve, ms)),
        () => this.phase !== 'ended',
      );
    }
    this.end(reason);
  }

  private waitUntil(condition: () => boolean, limitMs: number): Promise<void> {
    const deadline = this.deps.now() + limitMs;
    return new Promise<void>((resolve) => {
      const check = () => {
        if (this.phase === 'ended' || condition() || this.deps.now() >= deadline) return resolve();
        this.setTimer(check, 100);
      };
      check();
    });
  }

  private overloaded(side: 'engine' | 'twilio'): void {
    if (this.phase === 'ended') return;
    this.log.error('A socket cannot keep up; ending the call rather than buffering without limit', { side });
    this.end(`${side}-backpressure`);
  }

  private setTimer(fn: () => void, ms: number): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      fn();
    }, ms);
    this.timers.add(timer);
    return timer;
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
    this.recordEngineUse();
    this.writer?.ended(reason);
    this.finish();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.leg.settleAll();
    this.queued.clear();
    void (this.writer?.flush() ?? Promise.resolve()).then(() => this.resolveDone());
  }
}
