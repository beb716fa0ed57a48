import WebSocket from 'ws';
import { base64ByteLength } from '../core/audio.js';
import type { BusinessProfile, BusinessProfileSource } from '../core/business-profile.js';
import {
  type CallSession,
  type CallSessionStore,
  ENGINE_OUTAGE,
  type EngineSegment,
  type EngineUse,
  remoteNumber,
} from '../core/call-session.js';
import { forCall, logger } from '../core/logging.js';
import { shutdownWrapUpInstruction, wrapUpInstruction } from '../core/persona.js';
import type { CallControl } from '../core/ports.js';
import { hashStreamToken } from '../core/stream-token.js';
import type { ToolRunner } from '../core/tool-types.js';
import { summariseLatency } from '../core/turn-latency.js';
import {
  addUsage,
  type EngineCallContext,
  type EngineCapabilities,
  type EngineChange,
  type EngineListener,
  type EngineName,
  type EngineSession,
  failoverOrder,
  type VoiceEngine,
} from '../core/voice-engine.js';
import { BargeInGate } from './barge-in.js';
import { CallerAudioQueue } from './caller-audio-queue.js';
import { CALLER_SCRATCH, decodeCallerFrame, frameMs, isSpeech } from './caller-voice.js';
import { FallbackEngine, NoEngineError } from './fallback-engine.js';
import { HeardTranscript } from './heard-transcript.js';
import { PlaybackTracker } from './playback-tracker.js';
import { SessionWriter } from './session-writer.js';
import {
  clearMessage,
  markMessage,
  mediaMessage,
  parseTwilioMessage,
  type TwilioInbound,
} from './twilio-media-codec.js';

/** A socket that cannot keep up: past this many unsent bytes the call ends instead of memory growing. */
const MAX_BUFFERED_BYTES = 1024 * 1024;
/** After the agent's last words, how long to wait for Twilio to finish playing them. */
const PLAYBACK_DRAIN_LIMIT_MS = 15_000;
/** The agent is done talking once no audio arrived for this long (used before a hang-up). */
const AGENT_QUIET_MS = 1_200;

export interface LiveCallDeps {
  accountSid: string;
  business: { name: string; timezone: string };
  engineConnectTimeoutMs: number;
  /** Caller speech over the agent shorter than this is a backchannel, not a barge-in (`bargeIn: 'bridge'` engines). */
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
  /** Caller stops speaking → first agent audio sent, once per turn, the same way on every engine (metrics). */
  onTurnLatency?: (ms: number, engine: EngineName) => void;
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

/** How long before MAX_CALL_SECONDS the agent is told to wrap up. */
const WRAP_UP_NOTICE_MS = 60_000;
const HANG_UP_ATTEMPTS = 3;
/** Before the second attempt; doubled before the third (a brief Twilio 5xx or network blip passes). */
const HANG_UP_RETRY_MS = 250;

interface Serving {
  engine: EngineName;
  capabilities: EngineCapabilities;
}

/**
 * One phone call on the bridge: the Twilio media socket, the engine session (one engine to the
 * bridge: a failover composite over the configured engines), and all of the call's state. Created
 * per accepted WebSocket; `done` settles when the call has ended and its writes are flushed.
 */
export class LiveCall {
  private phase: Phase = 'awaiting-start';
  private log = logger;
  /** Caller audio that arrived while the engine connects. */
  private readonly queued = new CallerAudioQueue(() =>
    this.log.warn('Caller audio queue is full while the engine connects; oldest audio dropped'),
  );
  private callSid = '';

  /** Twilio's `start` arrived (the stream-start timeout no longer applies). */
  get started(): boolean {
    return this.callSid !== '';
  }
  private streamSid = '';
  private session: CallSession | undefined;
  private serving: Serving | undefined;
  private businessProfile: BusinessProfile | undefined;
  private engineSession: EngineSession | undefined;
  private writer: SessionWriter | undefined;
  private transcript: HeardTranscript | undefined;
  private malformedLogged = false;
  private latestMediaMs = 0;
  private lastAgentAudioAt = 0;
  private lastCallerSpeechAt = 0;
  /** Set when the engine ended the caller's turn: when they last spoke (turn latency starts there). */
  private turnEndedAt: number | undefined;
  private readonly latencies: number[] = [];
  private readonly segments: EngineSegment[] = [];
  private failoverMs: number | undefined;
  /** Mid-call failover: when the old engine dropped, until the new one's first audio. */
  private droppedAt: number | undefined;
  private readonly playback = new PlaybackTracker();
  private readonly bargeIn: BargeInGate;
  /** Audio of a response the bridge stopped is stale: dropped until the engine moves on. */
  private cutItemId: string | undefined;
  private readonly markWaiters = new Map<string, () => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly connectAbort = new AbortController();
  private endingAfterPlayback = false;
  private readonly toolRuns = new Set<Promise<unknown>>();
  private resolveDone!: () => void;
  readonly done: Promise<void> = new Promise((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    private readonly twilio: WebSocket,
    private readonly deps: LiveCallDeps,
  ) {
    this.bargeIn = new BargeInGate(deps.bargeInMinMs);
    twilio.on('message', (data, isBinary) => this.onTwilioFrame(data, isBinary));
    twilio.on('close', () => this.end('twilio-closed'));
    twilio.on('error', (error) => {
      this.log.warn('Twilio socket error', { error: error.message });
      this.end('twilio-error');
    });
  }

  /** Ends the call from outside (shutdown). */
  shutdown(reason: string): void {
    this.end(reason);
  }

  private onTwilioFrame(data: WebSocket.RawData, isBinary: boolean): void {
    if (this.phase === 'ended') return;
    if (isBinary) {
      this.malformed('binary frame');
      return;
    }
    const message = parseTwilioMessage(data.toString());
    switch (message.event) {
      case 'malformed':
        this.malformed(message.error);
        return;
      case 'media':
        this.latestMediaMs = message.timestampMs;
        if (this.phase === 'live') this.callerAudio(message.payload);
        else if (this.phase === 'awaiting-start') this.malformed('media before start');
        else this.queued.push(message.payload);
        return;
      case 'start':
        if (this.phase === 'awaiting-start') void this.begin(message);
        else this.malformed('a second start');
        return;
      case 'mark':
        this.playback.onMark(message.name);
        this.markWaiters.get(message.name)?.();
        return;
      case 'dtmf':
        this.engineSession?.sendKeypress(message.digit);
        return;
      case 'stop':
        this.end('caller-hung-up');
        return;
      case 'connected':
        return;
    }
  }

  /** A live caller frame: measured for speech (barge-in, turn latency), then passed on untouched. */
  private callerAudio(payload: string): void {
    const length = decodeCallerFrame(payload);
    const speech = isSpeech(CALLER_SCRATCH, length);
    if (speech) this.lastCallerSpeechAt = this.deps.now();
    if (this.bargeIn.callerFrame(frameMs(length), speech)) this.stopAgent();
    this.toEngine(payload);
  }

  private malformed(error: string): void {
    if (this.malformedLogged) return;
    this.malformedLogged = true;
    this.log.warn('Dropped a malformed Twilio stream message (logged once per call)', { error });
  }

  private async begin(start: Extract<TwilioInbound, { event: 'start' }>): Promise<void> {
    this.phase = 'claiming';
    this.callSid = start.callSid;
    this.streamSid = start.streamSid;
    this.log = forCall(start.callSid);
    const token = start.customParameters.token;
    const refuse = (why: string) => {
      this.log.warn('Refused a media stream', { why });
      this.phase = 'ended';
      this.closeTwilio(1008, 'stream not authorised');
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
    this.businessProfile = await profile;
    await this.connectEngine(session);
  }

  /**
   * Starts the call's engine: the chosen one, else the others in registry order (failover), as one
   * composite that also fails over mid-call. No engine at all: the stream closes, and the TwiML's
   * apology after `<Connect>` tells the caller we will call back.
   */
  private async connectEngine(session: CallSession): Promise<void> {
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
      const engineSession = await composite.start(
        this.engineContext(session),
        this.listener(),
        this.connectAbort.signal,
      );
      if (this.phase !== 'connecting') {
        engineSession.close(); // the caller hung up meanwhile
        return;
      }
      this.engineSession = engineSession;
      this.phase = 'live';
      this.scheduleCallLimit();
      for (const payload of this.queued.drain()) this.callerAudio(payload);
    } catch (error) {
      if (this.phase !== 'connecting') return;
      const reason =
        error instanceof NoEngineError ? error.failures || 'no engine configured' : String(error);
      this.deps.onEngineChosen?.({ callSid: this.callSid, chosen: session.provider, failoverReason: reason });
      this.log.error('No engine could take the call; the caller hears the apology', { reason });
      this.end(`${ENGINE_OUTAGE}: ${reason}`);
    }
  }

  private connectStartedAt = 0;

  private engineContext(session: CallSession): EngineCallContext {
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
      businessProfile: this.businessProfile,
      tools: this.deps.tools.definitions(),
    };
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
        if (live()) this.stopPlayback();
      },
      callerSpeechStarted: () => {
        if (live() && this.bargeIn.speechStarted(this.agentAudible())) this.stopAgent();
      },
      callerTurnEnded: () => {
        if (!live()) return;
        // Measured from when the caller last spoke, not from the engine's signal: the same on every
        // engine. A turn with no frame loud enough to count (a quiet "yes") starts now, never at the
        // speech of a turn the agent has already answered.
        const spokeThisTurn = this.lastCallerSpeechAt > this.lastAgentAudioAt;
        this.turnEndedAt ??= spokeThisTurn ? this.lastCallerSpeechAt : this.deps.now();
        if (this.serving?.capabilities.bargeIn !== 'bridge') return;
        if (this.bargeIn.turnEnded() === 'turn') {
          this.cutItemId = undefined;
          this.engineSession?.respond();
        } else {
          this.turnEndedAt = undefined; // a backchannel gets no answer, so no latency either
        }
      },
      transcript: (role, text, details) => {
        if (!live()) return;
        if (role === 'caller') this.transcript?.caller(text);
        else this.transcript?.agent(text, details);
      },
      toolCall: (call) => {
        if (live()) void this.runTool(call);
      },
      usage: (usage) => {
        const segment = this.segments.at(-1);
        if (!segment) return;
        segment.usage = segment.usage ? addUsage(segment.usage, usage) : { ...usage };
      },
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
    const now = this.deps.now();
    this.lastAgentAudioAt = now;
    const engine = this.serving?.engine;
    if (this.droppedAt !== undefined) {
      this.failoverMs = now - this.droppedAt;
      this.droppedAt = undefined;
      this.log.info('The new engine speaks after a mid-call failover', { failoverMs: this.failoverMs });
      this.recordEngineUse();
    }
    if (this.turnEndedAt !== undefined && engine) {
      const ms = now - this.turnEndedAt;
      this.latencies.push(ms);
      this.deps.onTurnLatency?.(ms, engine);
      this.turnEndedAt = undefined;
    }
    this.sendTwilio(mediaMessage(this.streamSid, payload));
    if (this.serving?.capabilities.truncateOnBargeIn) {
      const mark = this.playback.onAgentAudio(itemId, base64ByteLength(payload), this.latestMediaMs);
      this.sendTwilio(markMessage(this.streamSid, mark));
    }
  }

  /** Whether the caller can hear the agent now (audio queued at Twilio, or arriving right now). */
  private agentAudible(): boolean {
    return this.playback.isPlaying() || this.deps.now() - this.lastAgentAudioAt < 300;
  }

  /** A barge-in the bridge decided (`bargeIn: 'bridge'`): stop the response, then the playback. */
  private stopAgent(): void {
    this.engineSession?.cancelResponse();
    this.stopPlayback();
  }

  /** Clears Twilio's queued agent audio and, where the engine needs it, truncates at what was heard. */
  private stopPlayback(): void {
    this.sendTwilio(clearMessage(this.streamSid));
    if (!this.serving?.capabilities.truncateOnBargeIn) return;
    const cut = this.playback.interrupt(this.latestMediaMs);
    if (!cut) return;
    this.cutItemId = cut.itemId;
    this.engineSession?.truncate(cut.itemId, cut.audioEndMs);
    this.transcript?.cut(cut.itemId, cut.audioEndMs, cut.deliveredMs);
  }

  private onEngineChanged(change: EngineChange): void {
    const now = this.deps.now();
    const previous = this.segments.at(-1);
    if (previous) previous.endedAt = change.previous?.droppedAt ?? now;
    this.segments.push({ engine: change.engine, startedAt: change.at, endedAt: change.at });
    this.serving = { engine: change.engine, capabilities: change.capabilities };
    // A new engine has its own items and playback: nothing of the old one can be cut any more.
    this.playback.interrupt(this.latestMediaMs);
    this.bargeIn.reset();
    this.cutItemId = undefined;
    this.turnEndedAt = undefined;
    const chosen = this.session?.provider ?? change.engine;
    let failoverReason: string | undefined;
    if (change.previous) {
      failoverReason = `${change.previous.engine}: ${change.previous.reason}`;
      this.droppedAt = change.previous.droppedAt;
      this.log.warn('Failed over to another engine mid-call', {
        from: change.previous.engine,
        servedBy: change.engine,
        failoverReason,
      });
    } else if (change.startFailures) {
      failoverReason = change.startFailures;
      this.failoverMs = change.at - this.connectStartedAt;
      this.log.warn('Failed over to another engine', {
        chosen,
        servedBy: change.engine,
        failoverReason,
        failoverMs: this.failoverMs,
      });
    }
    this.writer?.engine({
      servedBy: change.engine,
      failoverReason,
      conversationId: change.conversationId,
      use: this.engineUse(),
    });
    this.deps.onEngineChosen?.({
      callSid: this.callSid,
      chosen,
      servedBy: change.engine,
      failoverReason,
      failoverMs: this.failoverMs,
      midCall: change.previous !== undefined,
    });
  }

  private recordEngineUse(): void {
    const use = this.engineUse();
    if (use) this.writer?.engineUse(use);
  }

  /** The engine segments so far (the current one up to now), failover time and turn latency. */
  private engineUse(): EngineUse | undefined {
    const current = this.segments.at(-1);
    if (!current) return undefined;
    current.endedAt = Math.max(current.endedAt, this.deps.now());
    return {
      engineSegments: this.segments,
      failoverMs: this.failoverMs,
      turnLatency: summariseLatency(this.latencies),
    };
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
    const run = this.deps.tools.run({
      callSid: this.callSid,
      remoteNumber: this.session ? remoteNumber(this.session) : '',
      name: call.name,
      args: call.args,
    });
    // The call's end waits for its tools: their records are written before `done`.
    this.toolRuns.add(run);
    const result = await run.finally(() => this.toolRuns.delete(run));
    // Recorded even when the caller hung up meanwhile: what the tool did stands (a calendar event,
    // the CRM row still owed for it), and finalisation works from this record.
    this.writer?.toolCall({
      name: call.name,
      args: call.args,
      result,
      at: started,
      durationMs: this.deps.now() - started,
    });
    if (this.phase === 'ended') return;
    this.engineSession?.sendToolResult(call.callId, result);
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
    await this.waitForPlayback();
    if (this.phase === 'ended') return;
    for (let attempt = 1; attempt <= HANG_UP_ATTEMPTS && this.deps.callControl; attempt++) {
      try {
        await this.deps.callControl.hangUp(this.callSid);
        break;
      } catch (error) {
        this.log.warn('Hang-up through the Twilio API failed', { attempt, error: (error as Error).message });
        if (attempt === HANG_UP_ATTEMPTS) {
          this.log.error('Could not hang up; closing the stream instead');
        } else {
          // A call that ends meanwhile never resumes here: finish() clears the timer.
          await new Promise<void>((resolve) => this.setTimer(resolve, HANG_UP_RETRY_MS * 2 ** (attempt - 1)));
        }
      }
    }
    this.end(reason);
  }

  /** Resolves once Twilio has played everything queued so far (a mark echo), or after a limit. */
  private waitForPlayback(): Promise<void> {
    if (this.phase === 'ended' || this.twilio.readyState !== WebSocket.OPEN) return Promise.resolve();
    const name = `drain-${this.deps.now()}`;
    return new Promise<void>((resolve) => {
      const timer = this.setTimer(() => settle(), PLAYBACK_DRAIN_LIMIT_MS);
      const settle = () => {
        this.markWaiters.delete(name);
        clearTimeout(timer);
        this.timers.delete(timer);
        resolve();
      };
      this.markWaiters.set(name, settle);
      this.sendTwilio(markMessage(this.streamSid, name));
    });
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

  private toEngine(payload: string): void {
    const session = this.engineSession;
    if (!session) return;
    if (session.bufferedAmount() > MAX_BUFFERED_BYTES) this.overloaded('engine');
    else session.sendCallerAudio(payload);
  }

  private sendTwilio(message: string): void {
    if (this.twilio.readyState !== WebSocket.OPEN) return;
    if (this.twilio.bufferedAmount > MAX_BUFFERED_BYTES) this.overloaded('twilio');
    else this.twilio.send(message);
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

  private closeTwilio(code: number, reason: string): void {
    if (this.twilio.readyState === WebSocket.OPEN || this.twilio.readyState === WebSocket.CONNECTING) {
      this.twilio.close(code, reason);
    }
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
    this.engineSession?.close();
    this.closeTwilio(1000, 'call ended');
    if (wasStarted) this.log.info('Call ended', { reason });
    this.recordEngineUse();
    this.writer?.ended(reason);
    this.finish();
  }

  private finished = false;
  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const settle of [...this.markWaiters.values()]) settle();
    this.queued.clear();
    void Promise.allSettled(this.toolRuns)
      .then(() => this.writer?.flush())
      .then(() => this.resolveDone());
  }

  /**
   * The task is stopping: the agent is told to wrap up (it usually ends the call itself with
   * `end_call`); after `noticeMs` the call is hung up after its goodbye. A call not live yet ends now.
   */
  wrapUp(reason: string, noticeMs: number): void {
    if (this.phase !== 'live') return this.end(reason);
    this.log.info('The bridge is stopping; the agent is told to wrap up', { noticeMs });
    this.engineSession?.instruct(shutdownWrapUpInstruction());
    this.setTimer(() => void this.hangUpAfterGoodbye(reason), noticeMs);
  }
}
