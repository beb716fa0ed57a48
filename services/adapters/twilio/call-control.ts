// Deep imports keep the bundle to the Voice API (2010-04-01) and the request client: the root
// `Twilio` client would bundle every Twilio product's REST domain (5 MB).
import BaseTwilio from 'twilio/lib/base/BaseTwilio';
import RequestClient from 'twilio/lib/base/RequestClient';
import Api from 'twilio/lib/rest/Api';
import { forCall } from '../../core/logging.js';
import type { CallControl, PlaceCallRequest } from '../../core/ports.js';

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

/** Live-call control through Twilio's REST API: redirect (transfer), hang up, place a call. */
export class TwilioCallControl implements CallControl {
  private readonly client: Api['account'];

  constructor(options: TwilioCallControlOptions) {
    const apiUrl = options.apiUrl?.replace(/\/+$/, '');
    const base = new BaseTwilio.Client(options.accountSid, options.authToken, {
      httpClient: apiUrl && apiUrl !== TWILIO_API ? new RebasedRequestClient(apiUrl) : undefined,
    });
    this.client = new Api(base).account;
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

  async placeCall(request: PlaceCallRequest): Promise<{ callSid: string }> {
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
}

function isCallOver(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const { status, code } = error as { status?: unknown; code?: unknown };
  return status === 404 || (typeof code === 'number' && CALL_OVER_CODES.has(code));
}
