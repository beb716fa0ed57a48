import type { CallControl } from '../core/ports/telephony.js';
import type { Log } from '../core/shared/logging.js';
import type { CallTimers } from './call-timers.js';
import { PLAYBACK_DRAIN_LIMIT_MS, type TwilioLeg } from './twilio-leg.js';

const HANG_UP_ATTEMPTS = 3;
/** Before the second attempt; doubled before the third (a brief Twilio 5xx or network blip passes). */
const HANG_UP_RETRY_MS = 250;

/**
 * Hangs the call up through Twilio's REST API, trying three times with a growing pause: a stream
 * that just closed would run the apology the TwiML holds after `<Connect>`, so a hang-up that fails
 * is worth a retry before the caller hears it. Resolves either way (the caller then closes the stream).
 */
export async function hangUpWithRetries(
  callControl: CallControl,
  callSid: string,
  log: Log,
  pause: (ms: number) => Promise<void>,
  stillLive: () => boolean,
): Promise<void> {
  for (let attempt = 1; attempt <= HANG_UP_ATTEMPTS && stillLive(); attempt++) {
    try {
      await callControl.hangUp(callSid);
      return;
    } catch (error) {
      log.warn('Hang-up through the Twilio API failed', { attempt, error: (error as Error).message });
      if (attempt === HANG_UP_ATTEMPTS) log.error('Could not hang up; closing the stream instead');
      else await pause(HANG_UP_RETRY_MS * 2 ** (attempt - 1));
    }
  }
}

/** The agent is done talking once no audio arrived for this long (used before a hang-up). */
const AGENT_QUIET_MS = 1_200;

export interface GoodbyeCall {
  callSid: string;
  streamSid: string;
  leg: TwilioLeg;
  timers: CallTimers;
  callControl?: CallControl;
  log: Log;
  now: () => number;
  /** When agent audio last arrived (epoch ms; 0: none yet). */
  lastAgentAudioAt: () => number;
  live: () => boolean;
}

/**
 * The conversation is over (`end_call`, the engine's goodbye close, the length limit): let the agent
 * finish, let Twilio play it, then hang up through the REST API. Hanging up, not closing the stream:
 * a stream that just ends would run the apology the TwiML holds after `<Connect>`. Run once: what
 * asks for it again meanwhile is dropped.
 */
export class GoodbyeHangUp {
  private underWay = false;

  constructor(private readonly call: GoodbyeCall) {}

  /** True once this hang-up has run its course; false when one was already under way. */
  async run(): Promise<boolean> {
    if (this.underWay) return false;
    this.underWay = true;
    const call = this.call;
    const agentQuiet = () => call.now() - call.lastAgentAudioAt() >= AGENT_QUIET_MS;
    await call.timers.waitUntil(agentQuiet, PLAYBACK_DRAIN_LIMIT_MS);
    if (call.live()) await call.leg.waitForPlayback(call.streamSid, (fn, ms) => call.timers.set(fn, ms));
    if (!call.live() || !call.callControl) return true;
    // A call that ends meanwhile never resumes here: the pause's timer is cleared with the call.
    await hangUpWithRetries(
      call.callControl,
      call.callSid,
      call.log,
      (ms) => call.timers.pause(ms),
      call.live,
    );
    return true;
  }
}
