/**
 * `POST /twilio/outbound`: a call we placed was answered (Twilio asks for its TwiML once machine
 * detection has decided). A person gets the agent (stream TwiML with a one-time token); a machine
 * gets a short voicemail and the call hangs up. The TwiML URL carries `?requestId=<idempotency key>`,
 * and Twilio signs the URL with it, so the check covers the query string.
 */
import * as z from 'zod';
import { connectStreamTwiml, emptyTwiml } from '../services/adapters/twilio/twiml.js';
import { voicemailTwiml } from '../services/adapters/twilio/voicemail-twiml.js';
import { answerOutboundCall, type OutboundTwiml } from '../services/core/outbound/outbound-answer.js';
import { IDEMPOTENCY_KEY_PATTERN } from '../services/core/outbound/place-call.js';
import type { CallSessionStore, OutboundRequestStore } from '../services/core/ports/call-store.js';
import type { Config } from '../services/core/shared/config.js';
import { forCall, withMaskedErrors } from '../services/core/shared/logging.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { lambdaRuntime, lazily } from '../services/wiring/lambda-container.js';
import { type HttpHandler, textResponse, twimlResponse } from './commons/http.js';
import { callSidSchema, twilioFormHandler } from './commons/twilio-webhook.js';

export interface OutboundTwimlDeps {
  config: Pick<Config, 'publicUrl' | 'streamUrl' | 'twilio' | 'business'>;
  sessions: Pick<CallSessionStore, 'get' | 'open' | 'markEnded'>;
  requests: Pick<OutboundRequestStore, 'get'>;
  now?: () => number;
}

const answeredForm = z.object({
  CallSid: callSidSchema,
  AnsweredBy: z.string().min(1).optional(),
});

export function createOutboundTwimlHandler(deps: OutboundTwimlDeps): HttpHandler {
  const { config } = deps;
  const twiml: OutboundTwiml = {
    stream: (parameters) => connectStreamTwiml({ streamUrl: config.streamUrl, parameters }),
    voicemail: voicemailTwiml,
    empty: emptyTwiml,
  };
  const answerDeps = {
    sessions: deps.sessions,
    requests: deps.requests,
    twiml,
    business: { name: config.business.name, number: config.twilio.phoneNumber },
    now: deps.now ?? Date.now,
  };

  return twilioFormHandler(
    {
      config,
      path: WEBHOOK_ROUTES.OutboundTwiml.path,
      withQuery: true,
      schema: answeredForm,
      refusing: 'an outbound TwiML request',
    },
    async (form, event) => {
      const requestId = event.queryStringParameters?.requestId;
      const log = forCall(form.CallSid);
      try {
        const { outcome, twiml: xml } = await answerOutboundCall(answerDeps, {
          callSid: form.CallSid,
          answeredBy: form.AnsweredBy,
          // Signed, so ours; still only a key of the shape we issue is looked up.
          requestId: requestId && IDEMPOTENCY_KEY_PATTERN.test(requestId) ? requestId : undefined,
        });
        log.info('Outbound call answered', { outcome });
        return twimlResponse(xml);
      } catch (error) {
        log.error('Outbound TwiML could not be made', { error: error as Error });
        return textResponse(500, 'Internal Server Error');
      }
    },
  );
}

const outboundTwimlHandler = lazily(async () => {
  const runtime = await lambdaRuntime();
  return createOutboundTwimlHandler({
    config: runtime.config,
    sessions: runtime.stores.sessions,
    requests: runtime.stores.outboundRequests,
  });
});

/** The Lambda entry point: adapters are built from the environment on the first invocation. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await outboundTwimlHandler())(event));
