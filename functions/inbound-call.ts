/**
 * `POST /twilio/inbound`: Twilio asks what to do with a new call. Verify it is Twilio, choose the
 * engine, look the caller up, write the call session, and answer TwiML that connects the call's
 * audio to the bridge with a one-time stream token.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { crmFor } from '../services/adapters/after-call-from-config.js';
import { connectStreamTwiml, emptyTwiml } from '../services/adapters/twilio/twiml.js';
import { isValidTwilioWebhook } from '../services/adapters/twilio/webhook-signature.js';
import type { CallSessionStore } from '../services/core/call-session.js';
import type { Config } from '../services/core/config.js';
import { forCall, type Logger, logger } from '../services/core/logging.js';
import { isE164, maskPhone } from '../services/core/phone.js';
import type { Crm, ProviderFlag } from '../services/core/ports.js';
import { hashStreamToken, newStreamToken } from '../services/core/stream-token.js';
import type { EngineName, KnownCustomer } from '../services/core/voice-engine.js';
import {
  forbidden,
  type HttpHandler,
  type HttpResult,
  header,
  parseForm,
  rawBody,
  textResponse,
  twimlResponse,
} from './commons/http.js';
import { lambdaRuntime, lazily } from './runtime.js';

export const INBOUND_PATH = '/twilio/inbound';

/** Twilio waits 15 s for TwiML, but the caller hears ringing meanwhile: the CRM gets a short leash. */
const DEFAULT_CRM_LOOKUP_TIMEOUT_MS = 700;

export interface InboundCallDeps {
  config: Config;
  sessions: CallSessionStore;
  providerFlag: ProviderFlag;
  /** Absent: every caller is treated as unknown. */
  crm?: Pick<Crm, 'findCustomerByPhone'>;
  now?: () => number;
  crmLookupTimeoutMs?: number;
}

const inboundForm = z.object({
  CallSid: z.string().regex(/^CA[0-9a-fA-F]{32}$/),
  AccountSid: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
  // Not necessarily E.164: a withheld number arrives as `anonymous`, a Twilio Client as `client:…`.
  From: z.string().min(1),
  To: z.string().min(1),
});

export function createInboundCallHandler(deps: InboundCallDeps): HttpHandler {
  const { config, sessions } = deps;
  const now = deps.now ?? Date.now;
  const webhookUrl = `${config.publicUrl}${INBOUND_PATH}`;

  return async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    const params = parseForm(rawBody(event));

    // Verify before anything else, so an unsigned request learns nothing and changes nothing.
    const signed = isValidTwilioWebhook({
      authToken: config.twilio.authToken,
      signature: header(event, 'x-twilio-signature'),
      url: webhookUrl,
      params,
    });
    if (!signed) {
      logFor(params.CallSid).warn('Refused an inbound webhook: missing or invalid Twilio signature', {
        from: maskPhone(single(params.From)),
        to: maskPhone(single(params.To)),
        hadSignature: header(event, 'x-twilio-signature') !== undefined,
      });
      return forbidden();
    }

    const parsed = inboundForm.safeParse(params);
    if (!parsed.success) {
      logFor(params.CallSid).warn('Refused an inbound webhook: malformed form', {
        problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
      });
      return textResponse(400, 'Bad Request');
    }
    const form = parsed.data;
    const log = forCall(form.CallSid);

    if (form.AccountSid !== config.twilio.accountSid) {
      log.warn('Refused an inbound webhook for another Twilio account', { accountSid: form.AccountSid });
      return forbidden();
    }

    try {
      const startedAt = now();
      const provider = await chooseProvider(deps.providerFlag, config, log);
      const customer = await lookUpCaller(deps, form.From, startedAt, log);
      const token = newStreamToken();
      const opened = await sessions.open({
        callSid: form.CallSid,
        direction: 'inbound',
        from: form.From,
        to: form.To,
        provider,
        customer,
        streamTokenHash: hashStreamToken(token),
        createdAt: startedAt,
      });
      if (!opened) {
        // The call already streams (or ended) on the TwiML we gave first. A second token must not
        // exist, and nothing should be said over the live conversation: an empty Response does nothing
        // to a call whose <Connect> is running, and ends one that is over anyway.
        log.warn('Inbound webhook for a call that already streams or ended: answered with an empty Response');
        return twimlResponse(emptyTwiml());
      }
      log.info('Inbound call answered', {
        from: maskPhone(form.From),
        to: maskPhone(form.To),
        provider,
        knownCaller: customer !== undefined,
      });
      return twimlResponse(
        connectStreamTwiml({
          streamUrl: config.streamUrl,
          parameters: { token, callSid: form.CallSid },
        }),
      );
    } catch (error) {
      log.error('Inbound call could not be set up', { error: error as Error });
      return textResponse(500, 'Internal Server Error');
    }
  };
}

/** Read once per call; an unreadable flag must not cost the caller the call. */
async function chooseProvider(flag: ProviderFlag, config: Config, log: Logger): Promise<EngineName> {
  try {
    return await flag.current();
  } catch (error) {
    log.error('Provider flag unreadable: using the configured default', {
      error: error as Error,
      provider: config.voiceProvider,
    });
    return config.voiceProvider;
  }
}

/** The CRM only helps the agent: on a slow or failing lookup the call goes on as from a stranger. */
async function lookUpCaller(
  deps: InboundCallDeps,
  from: string,
  now: number,
  log: Logger,
): Promise<KnownCustomer | undefined> {
  if (!deps.crm || !isE164(from)) return undefined;
  const timeoutMs = deps.crmLookupTimeoutMs ?? DEFAULT_CRM_LOOKUP_TIMEOUT_MS;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<'timed-out'>((resolve) => {
    timer = setTimeout(() => resolve('timed-out'), timeoutMs);
  });
  try {
    const result = await Promise.race([deps.crm.findCustomerByPhone(from, now), timedOut]);
    if (result === 'timed-out') {
      log.warn('CRM lookup timed out: treating the caller as unknown', { timeoutMs });
      return undefined;
    }
    return result;
  } catch (error) {
    log.error('CRM lookup failed: treating the caller as unknown', { error: error as Error });
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

function logFor(callSid: string | string[] | undefined): Logger {
  // Unverified input: bounded, so a forged request cannot flood the log line.
  const sid = single(callSid)?.slice(0, 64);
  return sid ? forCall(sid) : logger;
}

const inboundHandler = lazily(async () => {
  const runtime = await lambdaRuntime();
  // Returning callers are looked up in the CRM when it is configured; without one, every caller is new.
  const crm = runtime.config.supabase ? crmFor(runtime.config, { embedded: [], missing: [] }) : undefined;
  return createInboundCallHandler({ ...runtime, crm });
});

/** The Lambda entry point: adapters are built from the environment on the first invocation. */
export const handler: HttpHandler = async (event) => (await inboundHandler())(event);
