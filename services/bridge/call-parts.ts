import { type CallSession, remoteNumber } from '../core/call/call-session.js';
import type { EngineSession } from '../core/ports/engine.js';
import type { Log } from '../core/shared/logging.js';
import { CallRecorder } from './call-recorder.js';
import type { CallTimers } from './call-timers.js';
import { CallTools } from './call-tools.js';
import { EngineLedger } from './engine-ledger.js';
import { GoodbyeHangUp } from './hang-up.js';
import { HeardTranscript } from './heard-transcript.js';
import type { LiveCallDeps } from './live-call-deps.js';
import type { ServingEngine, ServingEngineContext } from './serving-engine.js';
import type { SessionWriter } from './session-writer.js';
import type { TwilioLeg } from './twilio-leg.js';

/** What the parts of a call read from the call that composes them. */
export interface CallHandle {
  callSid: string;
  streamSid: string;
  leg: TwilioLeg;
  timers: CallTimers;
  log: Log;
  deps: LiveCallDeps;
  /** The call has not ended. */
  live(): boolean;
  /** The call's engine session, once started. */
  engineSession(): EngineSession | undefined;
  /** The engine serving now, with its playback and turn-taking. */
  serving(): ServingEngine | undefined;
  /** Twilio's latest inbound media timestamp (its playback clock). */
  mediaMs(): number;
}

/** The parts of a call that exist once its stream is authorised. */
export interface CallParts {
  /**
   * The engine the session chose; of the claimed session only this outlives the call's start (the
   * rest is read once, so the whole record is not held for the call's length).
   */
  chosenEngine: CallSession['provider'];
  writer: SessionWriter;
  transcript: HeardTranscript;
  tools: CallTools;
  ledger: EngineLedger;
  goodbye: GoodbyeHangUp;
  /** RECORD_CALLS=on, once the call connects its engine. */
  recorder?: CallRecorder;
}

export function assembleCallParts(call: CallHandle, session: CallSession, writer: SessionWriter): CallParts {
  const { callSid, deps, log } = call;
  return {
    chosenEngine: session.provider,
    writer,
    transcript: new HeardTranscript(writer),
    tools: new CallTools(deps.tools, {
      callSid,
      remoteNumber: remoteNumber(session),
      now: deps.now,
      writer: () => writer,
      liveSession: () => (call.live() ? call.engineSession() : undefined),
    }),
    ledger: new EngineLedger({ callSid, chosen: session.provider, writer, log, deps }),
    goodbye: new GoodbyeHangUp({
      callSid,
      streamSid: call.streamSid,
      leg: call.leg,
      timers: call.timers,
      callControl: deps.callControl,
      log,
      now: deps.now,
      lastAgentAudioAt: () => call.serving()?.lastAgentAudioAt ?? 0,
      live: call.live,
    }),
  };
}

/** RECORD_CALLS=on: the recorder takes both directions from here on; its key is on the session. */
export function startRecording(call: CallHandle, parts: CallParts): void {
  const destination = call.deps.recordings;
  if (!destination) return;
  parts.recorder = new CallRecorder(call.callSid, destination, { mediaMs: call.mediaMs, log: call.log });
  parts.writer.recording({ status: 'writing', key: parts.recorder.key });
}

/** What each engine's floor (`ServingEngine`) reads from the call. */
export function servingContext(call: CallHandle, parts: CallParts): ServingEngineContext {
  return {
    streamSid: call.streamSid,
    send: (message) => call.leg.send(message),
    session: call.engineSession,
    transcript: () => parts.transcript,
    mediaMs: call.mediaMs,
    now: call.deps.now,
    busy: () => parts.tools.running,
    later: (fn, ms) => {
      call.timers.set(fn, ms);
    },
    interruptAfterMs: call.deps.bargeInMinMs,
    tap: parts.recorder,
  };
}
