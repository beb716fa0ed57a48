// Deep imports keep the bundle to the Voice API (2010-04-01) and the request client: the root
// `Twilio` client would bundle every Twilio product's REST domain (5 MB).
import BaseTwilio from 'twilio/lib/base/BaseTwilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import Api from 'twilio/lib/rest/Api';
import type { CallControl, CallLookup, DialRequest, TwilioCall } from '../../core/ports/telephony.js';
import { forCall } from '../../core/shared/logging.js';

export interface TwilioCallControlOptions {
  accountSid: string;
  authToken: string;
  /** `TWILIO_API_URL`: a stand-in for `https://api.twilio.com` (simulators, tests). */
  apiUrl?: string;
}

const TWILIO_API = 'https://api.twilio.com';

/** Twilio's answers for "that call is over": not found, and "not in-progress, cannot redirect". */
const CALL_OVER_CODES = new Set([20404, 21220]);

/**
 * Sends every request to `apiUrl` instead of api.twilio.com. The client's `edge`/`region` options
 * only change the host within Twilio's domain, so a stand-in needs the URL rewritten here.
 */
class RebasedRequestClient extends RequestClient {
  constructor(private readonly apiUrl: string) {
    super();
  }

  override request<TData>(opts: RequestClient.RequestOptions<TData>) {
    const uri = opts.uri.startsWith(TWILIO_API) ? this.apiUrl + opts.uri.slice(TWILIO_API.length) : opts.uri;
    return super.request({ ...opts, uri });
  }
}

/** The account's slice of the 2010-04-01 API (calls, messages), at `apiUrl` when given. */
export function twilioAccount(options: TwilioCallControlOptions): Api['account'] {
  const apiUrl = options.apiUrl?.replace(/\/+$/, '');
  const base = new BaseTwilio.Client(options.accountSid, options.authToken, {
    httpClient: apiUrl && apiUrl !== TWILIO_API ? new RebasedRequestClient(apiUrl) : undefined,
  });
  return new Api(base).account;
}

/**
 * Live-call control through Twilio's REST API: redirect (transfer), hang up, place a call; and what
 * Twilio knows about a call when its status callback never came (the finalisation sweeper).
 */
export class TwilioCallControl implements CallControl, CallLookup {
  private readonly client: Api['account'];

  constructor(options: TwilioCallControlOptions) {
    this.client = twilioAccount(options);
  }

  async redirect(callSid: string, twiml: string): Promise<void> {
    try {
      await this.client.calls(callSid).update({ twiml });
    } catch (error) {
      if (!isCallOver(error)) throw error;
      forCall(callSid).info('redirect skipped: the call already ended');
    }
  }

  async hangUp(callSid: string): Promise<void> {
    try {
      await this.client.calls(callSid).update({ status: 'completed' });
    } catch (error) {
      if (!isCallOver(error)) throw error;
      forCall(callSid).info('hang-up skipped: the call already ended');
    }
  }

  async placeCall(request: DialRequest): Promise<{ callSid: string }> {
    const call = await this.client.calls.create({
      to: request.to,
      from: request.from,
      url: request.url,
      method: 'POST',
      statusCallback: request.statusCallback,
      statusCallbackMethod: 'POST',
      // `DetectMessageEnd`, synchronous (no asyncAmd): Twilio asks for the TwiML only once it knows
      // who answered, and for a machine only after the greeting's beep, so `AnsweredBy` reaches
      // POST /twilio/outbound and the voicemail lands on the recording.
      ...(request.machineDetection ? { machineDetection: 'DetectMessageEnd' } : {}),
    });
    return { callSid: call.sid };
  }

  async getCall(callSid: string): Promise<TwilioCall | undefined> {
    try {
      return toTwilioCall(await this.client.calls(callSid).fetch());
    } catch (error) {
      if ((error as { status?: unknown }).status === 404) return undefined;
      throw error;
    }
  }

  async callsTo(to: string, since: number): Promise<TwilioCall[]> {
    const calls = await this.client.calls.list({ to, startTimeAfter: new Date(since), limit: 500 });
    return calls.map(toTwilioCall).filter((call) => (call.startedAt ?? call.createdAt ?? 0) >= since);
  }

  async callsBetween(from: string, to: string, since: number): Promise<TwilioCall[]> {
    // Twilio filters by number; the creation time is checked here (a queued call has no start time).
    const calls = await this.client.calls.list({ from, to, limit: 20 });
    return calls
      .map(toTwilioCall)
      .filter((call) => (call.createdAt ?? call.startedAt ?? 0) >= since)
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0));
  }
}

/** The fields of Twilio's call resource the product reads (the SDK's `CallInstance`). */
interface CallResource {
  sid: string;
  status: string;
  duration?: string | null;
  from: string;
  to: string;
  direction?: string | null;
  startTime?: Date | null;
  endTime?: Date | null;
  dateCreated?: Date | null;
}

function toTwilioCall(call: CallResource): TwilioCall {
  const duration = call.duration ? Number(call.duration) : undefined;
  const millis = (date: Date | null | undefined) =>
    date instanceof Date && !Number.isNaN(date.getTime()) ? date.getTime() : undefined;
  return {
    callSid: call.sid,
    status: call.status,
    durationSeconds: duration !== undefined && Number.isFinite(duration) ? duration : undefined,
    from: call.from,
    to: call.to,
    // `outbound-api` (we placed it) and `outbound-dial` (a <Dial> leg) are ours; the rest inbound.
    direction: call.direction?.startsWith('outbound') ? 'outbound' : 'inbound',
    startedAt: millis(call.startTime),
    endedAt: millis(call.endTime),
    createdAt: millis(call.dateCreated),
  };
}

function isCallOver(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, code } = error as { status?: unknown; code?: unknown };
  return status === 404 || (typeof code === 'number' && CALL_OVER_CODES.has(code));
}
