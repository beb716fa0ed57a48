import WebSocket from 'ws';
import { base64ByteLength } from '../core/audio.js';
import type { CallSession, CallSessionStore } from '../core/call-session.js';
import { forCall, logger } from '../core/logging.js';
import type { CallControl } from '../core/ports.js';
import { hashStreamToken } from '../core/stream-token.js';
import type { ToolRunner } from '../core/tool-types.js';
import {
  type EngineCallContext,
  type EngineListener,
  type EngineName,
  type EngineSession,
  otherEngine,
  type VoiceEngine,
} from '../core/voice-engine.js';
import { PlaybackTracker } from './playback-tracker.js';
import { SessionWriter } from './session-writer.js';
import {
  clearMessage,
  markMessage,
  mediaMessage,
  parseTwilioMessage,
  type TwilioInbound,
} from './twilio-media-codec.js';

/** Caller audio held while the engine connects (DESIGN: never dropped, bounded to a few seconds). */
const MAX_QUEUED_FRAMES = 400; // 8 s of 20 ms frames
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
  sessions: CallSessionStore;
  engines: Partial<Record<EngineName, VoiceEngine>>;
  tools: ToolRunner;
  callControl?: CallControl;
  now: () => number;
  /** Caller's turn ended → first agent audio sent, once per turn (metrics). */
  onTurnLatency?: (ms: number) => void;
  /** Told once per call which engine served it and whether it failed over (metrics). */
  onEngineChosen?: (event: {
    callSid: string;
    chosen: EngineName;
    servedBy?: EngineName;
    failoverReason?: string;
    failoverMs?: number;
  }) => void;
}

type Phase = 'awaiting-start' | 'claiming' | 'connecting' | 'live' | 'ended';

/**
 * One phone call on the bridge: the Twilio media socket, the engine session, and all of the call's
 * state. Created per accepted WebSocket; `done` settles when the call has ended and its writes are flushed.
 */
export class LiveCall {
  private phase: Phase = 'awaiting-start';
  private log = logger;
  private callSid = '';
  private streamSid = '';
  private session: CallSession | undefined;
  private engine: VoiceEngine | undefined;
  private engineSession: EngineSession | undefined;
  private writer: SessionWriter | undefined;
  private readonly queued: string[] = [];
  private queueOverflowLogged = false;
  private malformedLogged = false;
  private latestMediaMs = 0;
  private lastAgentAudioAt = 0;
  private callerTurnEndedAt: number | undefined;
  private readonly playback = new PlaybackTracker();
  private readonly markWaiters = new Map<string, () => void>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly connectAbort = new AbortController();
  private endingAfterPlayback = false;
  private resolveDone!: () => void;
  readonly done: Promise<void> = new Promise((resolve) => {
    this.resolveDone = resolve;
  });

  constructor(
    private readonly twilio: WebSocket,
    private readonly deps: LiveCallDeps,
  ) {
    twilio.on('message', (data, isBinary) => this.onTwilioFrame(data, isBinary));
    twilio.on('close', () => this.end('twilio-closed'));
    twilio.on('error', (error) => {
      this.log.warn('Twilio socket error', { error: error.message });
      this.end('twilio-error');
    });
  }

  get id(): string {
    return this.callSid;
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
        if (this.phase === 'live') this.toEngine(message.payload);
        else if (this.phase === 'awaiting-start') this.malformed('media before start');
        else this.queue(message.payload);
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

  private queue(payload: string): void {
    if (this.queued.length >= MAX_QUEUED_FRAMES) {
      this.queued.shift();
      if (!this.queueOverflowLogged) {
        this.queueOverflowLogged = true;
        this.log.warn('Caller audio queue is full while the engine connects; oldest audio dropped');
      }
    }
    this.queued.push(payload);
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
    if (!session) return refuse('unknown, already used or wrong stream token');
    this.session = session;
    this.writer = new SessionWriter(this.deps.sessions, this.callSid, this.deps.now);
    if (this.phase !== 'claiming') {
      // The caller hung up while we checked the token.
      this.writer.ended('caller-hung-up');
      return this.finish();
    }
    this.phase = 'connecting';
    await this.connectEngine(session);
  }

  /** Starts the call's engine; if it cannot be reached in time, the other one (failover). */
  private async connectEngine(session: CallSession): Promise<void> {
    const chosen = session.provider;
    const order = [chosen, otherEngine(chosen)].filter((name) => this.deps.engines[name] !== undefined);
    const context = this.engineContext(session);
    const startedAt = this.deps.now();
    const failures: string[] = [];
    for (const name of order) {
      const engine = this.deps.engines[name]!;
      const signal = AbortSignal.any([
        AbortSignal.timeout(this.deps.engineConnectTimeoutMs),
        this.connectAbort.signal,
      ]);
      // Current before `start` resolves: an engine may speak in the same packet as its "ready".
      this.engine = engine;
      try {
        const engineSession = await engine.start(context, this.listenerFor(engine), signal);
        if (this.phase !== 'connecting') {
          engineSession.close(); // the caller hung up meanwhile
          return;
        }
        this.engineSession = engineSession;
        const failoverReason = failures.length > 0 ? failures.join('; ') : undefined;
        const failoverMs = failoverReason ? this.deps.now() - startedAt : undefined;
        this.writer?.engine(name, failoverReason);
        this.deps.onEngineChosen?.({
          callSid: this.callSid,
          chosen,
          servedBy: name,
          failoverReason,
          failoverMs,
        });
        if (failoverReason) {
          this.log.warn('Failed over to the other engine', {
            chosen,
            servedBy: name,
            failoverReason,
            failoverMs,
          });
        }
        this.phase = 'live';
        for (const payload of this.queued.splice(0)) this.toEngine(payload);
        return;
      } catch (error) {
        this.engine = undefined;
        if (this.phase !== 'connecting') return;
        failures.push(`${name}: ${(error as Error).message}`);
        this.log.error('Engine could not start', { engine: name, error: (error as Error).message });
      }
    }
    const reason = failures.length > 0 ? failures.join('; ') : 'no engine configured';
    this.deps.onEngineChosen?.({ callSid: this.callSid, chosen, failoverReason: reason });
    this.log.error('No engine could take the call; ending it', { reason });
    await this.apologiseAndHangUp();
    this.end(`no-engine: ${reason}`);
  }

  private engineContext(session: CallSession): EngineCallContext {
    return {
      callSid: session.callSid,
      streamSid: this.streamSid,
      direction: session.direction,
      remoteNumber: remoteNumberOf(session),
      businessName: this.deps.business.name,
      businessTimezone: this.deps.business.timezone,
      now: this.deps.now(),
      customer: session.customer,
      outboundReason: session.outboundReason,
      tools: this.deps.tools.definitions(),
    };
  }

  private listenerFor(engine: VoiceEngine): EngineListener {
    const isCurrent = () => this.engine === engine && this.phase !== 'ended';
    return {
      audio: (payload, itemId) => {
        if (!isCurrent()) return; // the engine's codec checked the payload is base64
        this.lastAgentAudioAt = this.deps.now();
        if (this.callerTurnEndedAt !== undefined) {
          this.deps.onTurnLatency?.(this.lastAgentAudioAt - this.callerTurnEndedAt);
          this.callerTurnEndedAt = undefined;
        }
        this.sendTwilio(mediaMessage(this.streamSid, payload));
        if (engine.capabilities.truncateOnBargeIn) {
          const mark = this.playback.onAgentAudio(itemId, base64ByteLength(payload), this.latestMediaMs);
          this.sendTwilio(markMessage(this.streamSid, mark));
        }
      },
      interruption: () => {
        if (!isCurrent()) return;
        this.sendTwilio(clearMessage(this.streamSid));
        if (engine.capabilities.truncateOnBargeIn) {
          const cut = this.playback.interrupt(this.latestMediaMs);
          if (cut) this.engineSession?.truncate(cut.itemId, cut.audioEndMs);
        }
      },
      callerTurnEnded: () => {
        if (isCurrent()) this.callerTurnEndedAt ??= this.deps.now();
      },
      transcript: (role, text) => {
        if (isCurrent()) this.writer?.turn(role, text);
      },
      toolCall: (call) => {
        if (isCurrent()) void this.runTool(call);
      },
      ended: (reason) => {
        if (!isCurrent()) return;
        const detail =
          reason.kind === 'engine-closed'
            ? `engine-closed (${reason.code})`
            : `engine-error: ${reason.detail}`;
        this.log.info('The engine ended the conversation', { reason: detail });
        // A normal close comes after the agent's goodbye, which Twilio may still be playing.
        if (reason.kind === 'engine-closed' && reason.code === 1000) void this.endAfterPlayback(detail);
        else this.end(detail);
      },
    };
  }

  private async runTool(call: { callId: string; name: string; args: unknown }): Promise<void> {
    const started = this.deps.now();
    const remoteNumber = this.session ? remoteNumberOf(this.session) : '';
    const result = await this.deps.tools.run({
      callSid: this.callSid,
      remoteNumber,
      name: call.name,
      args: call.args,
    });
    if (this.phase === 'ended') return;
    this.engineSession?.sendToolResult(call.callId, result);
    this.writer?.toolCall({
      name: call.name,
      args: call.args,
      result,
      at: started,
      durationMs: this.deps.now() - started,
    });
    if (result.endsCall === 'hangup') void this.hangUpAfterGoodbye();
    // The tool already redirected the live call to a person: this stream is over.
    if (result.endsCall === 'transfer') this.end('transferred');
  }

  /** `end_call`: let the agent finish its goodbye, let Twilio play it, then hang up through REST. */
  private async hangUpAfterGoodbye(): Promise<void> {
    await this.waitUntil(
      () => this.deps.now() - this.lastAgentAudioAt >= AGENT_QUIET_MS,
      PLAYBACK_DRAIN_LIMIT_MS,
    );
    await this.waitForPlayback();
    if (this.phase === 'ended') return;
    try {
      await this.deps.callControl?.hangUp(this.callSid);
    } catch (error) {
      this.log.warn('Hang-up through the Twilio API failed; closing the stream instead', {
        error: (error as Error).message,
      });
    }
    this.end('agent-ended-call');
  }

  private async endAfterPlayback(reason: string): Promise<void> {
    if (this.endingAfterPlayback) return;
    this.endingAfterPlayback = true;
    await this.waitForPlayback();
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

  private async apologiseAndHangUp(): Promise<void> {
    // Without an engine nobody can speak on the stream; the REST API can still say sorry.
    if (!this.deps.callControl) return;
    try {
      await this.deps.callControl.redirect(
        this.callSid,
        '<?xml version="1.0" encoding="UTF-8"?><Response><Say>Sorry, we cannot take your call right now. Please call again in a few minutes.</Say><Hangup/></Response>',
      );
    } catch (error) {
      this.log.warn('Could not play the apology', { error: (error as Error).message });
    }
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
    this.queued.length = 0;
    void (this.writer?.flush() ?? Promise.resolve()).then(() => this.resolveDone());
  }
}

/** The other party: the caller of an inbound call, the callee of an outbound one. */
function remoteNumberOf(session: CallSession): string {
  return session.direction === 'inbound' ? session.from : session.to;
}
