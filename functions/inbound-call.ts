/**
 * `POST /twilio/inbound`: Twilio asks what to do with a new call. Verify it is Twilio (the shared
 * verified-form helper), then the core use case `answerInboundCall` chooses the engine, decides what
 * the agent may know about the caller and opens the session; the answer is TwiML that connects the
 * call's audio to the bridge with a one-time stream token.
 */
import * as z from 'zod';
import { connectStreamTwiml, emptyTwiml } from '../services/adapters/twilio/twiml.js';
import { answerInboundCall } from '../services/core/call/answer-inbound.js';
import type { CallSessionStore } from '../services/core/ports/call-store.js';
import type { Crm } from '../services/core/ports/crm.js';
import type { ProviderFlag } from '../services/core/ports/flags.js';
import type { Config } from '../services/core/shared/config.js';
import { forCall, withMaskedErrors } from '../services/core/shared/logging.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { lazily } from '../services/wiring/lambda-container.js';
import { inboundCallDeps } from '../services/wiring/lambda-inbound-call.js';
import { type HttpHandler, textResponse, twimlResponse } from './commons/http.js';
import { callSidSchema, twilioFormHandler } from './commons/twilio-webhook.js';

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
  CallSid: callSidSchema,
  // Not necessarily E.164: a withheld number arrives as `anonymous`, a Twilio Client as `client:…`.
  From: z.string().min(1).max(128),
  To: z.string().min(1).max(128),
  // STIR/SHAKEN verdict; absent for calls Twilio could not verify.
  StirVerstat: z.string().max(64).optional(),
});

export function createInboundCallHandler(deps: InboundCallDeps): HttpHandler {
  const { config } = deps;
  // Verify before anything else, so an unsigned request learns nothing and changes nothing.
  return twilioFormHandler(
    {
      config,
      path: WEBHOOK_ROUTES.InboundCall.path,
      schema: inboundForm,
      refusing: 'an inbound webhook',
    },
    async (form) => {
      try {
        const answer = await answerInboundCall(
          {
            sessions: deps.sessions,
            providerFlag: deps.providerFlag,
            defaultProvider: config.voiceProvider,
            callerContextTrust: config.callerContextTrust,
            crm: deps.crm,
            now: deps.now ?? Date.now,
            crmLookupTimeoutMs: deps.crmLookupTimeoutMs,
          },
          { callSid: form.CallSid, from: form.From, to: form.To, stirVerstat: form.StirVerstat },
        );
        // An empty Response does nothing to a call whose <Connect> is running, and ends one that is over.
        if (answer.kind === 'already-streaming') return twimlResponse(emptyTwiml());
        return twimlResponse(
          connectStreamTwiml({
            streamUrl: config.streamUrl,
            parameters: { token: answer.token, callSid: form.CallSid },
          }),
        );
      } catch (error) {
        forCall(form.CallSid).error('Inbound call could not be set up', { error: error as Error });
        return textResponse(500, 'Internal Server Error');
      }
    },
  );
}

const inboundHandler = lazily(async () => createInboundCallHandler(await inboundCallDeps()));

/** The Lambda entry point: adapters are built from the environment on the first invocation. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await inboundHandler())(event));
