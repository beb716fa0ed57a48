/**
 * `POST /twilio/fallback`: the number's "Primary handler fails" URL. Twilio posts here when the
 * inbound webhook answered an error or nothing in time, so this handler depends on as little as
 * possible: the Twilio keys (to verify the signature) and the business name. It never touches
 * DynamoDB, the CRM or an engine. It answers an apology with a callback promise; the caller's number
 * reaches the owner through the finalisation sweeper, which finalises calls it finds in Twilio's
 * call list and has no record of (the owner email and the digest list them as missed).
 */
import * as z from 'zod';
import { fallbackTwiml } from '../services/adapters/twilio/twiml.js';
import { forCall, logger, withMaskedErrors } from '../services/core/shared/logging.js';
import { COUNTED_LOG_MESSAGES } from '../services/core/shared/metric-names.js';
import { maskPhone } from '../services/core/shared/phone.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { zodProblems } from '../services/core/shared/validation.js';
import { fallbackSecretEnvironment } from '../services/wiring/lambda-twilio-fallback.js';
import { type HttpHandler, twimlResponse } from './commons/http.js';
import { callSidSchema, twilioFormHandler } from './commons/twilio-webhook.js';

export interface TwilioFallbackConfig {
  publicUrl: string;
  twilio: { accountSid: string; authToken: string };
  businessName: string;
}

/** Whatever Twilio sends, the caller gets the apology: every field is optional and bounded. */
const fallbackForm = z.object({
  CallSid: callSidSchema.optional(),
  From: z.string().max(128).optional(),
  // Why the primary handler failed, in Twilio's words (e.g. 11200 HTTP retrieval failure).
  ErrorCode: z.string().max(16).optional(),
});

export function createTwilioFallbackHandler(config: TwilioFallbackConfig): HttpHandler {
  return twilioFormHandler(
    {
      config,
      path: WEBHOOK_ROUTES.TwilioFallback.path,
      schema: fallbackForm,
      refusing: 'a fallback request',
    },
    async (form) => {
      const { CallSid: callSid, From: from, ErrorCode: errorCode } = form;
      if (callSid) {
        // Counted (FallbackAnswers): a caller got the apology instead of the agent.
        forCall(callSid).error(COUNTED_LOG_MESSAGES.fallbackAnswered, { from: maskPhone(from), errorCode });
      } else {
        // Twilio always names the call; a signed request without one is `npm run smoke`: no page.
        logger.info('Fallback URL answered a signed request naming no call');
      }
      return twimlResponse(fallbackTwiml(config.businessName));
    },
  );
}

const fallbackEnvironment = z.object({
  PUBLIC_URL: z.url().transform((url) => url.replace(/\/+$/, '')),
  TWILIO_ACCOUNT_SID: z.string().regex(/^AC[0-9a-fA-F]{32}$/),
  TWILIO_AUTH_TOKEN: z.string().min(1),
  BUSINESS_NAME: z.string().min(1),
});

/** The fallback's four settings from an environment (the secret merged under it). */
export function fallbackConfig(env: Record<string, string | undefined>): TwilioFallbackConfig {
  const parsed = fallbackEnvironment.safeParse(env);
  if (!parsed.success) {
    throw new Error(`Fallback configuration: ${zodProblems(parsed.error, '(environment)').join('; ')}`);
  }
  const e = parsed.data;
  return {
    publicUrl: e.PUBLIC_URL,
    twilio: { accountSid: e.TWILIO_ACCOUNT_SID, authToken: e.TWILIO_AUTH_TOKEN },
    businessName: e.BUSINESS_NAME,
  };
}

/** The Lambda entry point: the secret is re-read every 5 minutes (a rotated auth token is picked up). */
export const handler: HttpHandler = withMaskedErrors(async (event) =>
  createTwilioFallbackHandler(fallbackConfig(await fallbackSecretEnvironment()))(event),
);
