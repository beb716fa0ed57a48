/**
 * `POST /twilio/sms`: the business number's "A message comes in" webhook. Verify it is Twilio (the
 * shared verified-form helper), then `receiveTextReply` keeps the text in the CRM and forwards it to
 * the owner; the answer is an empty `<Response/>`, so nothing is texted back (Twilio itself answers
 * STOP, HELP and START on long codes).
 */
// Deep import, like the voice TwiML: the builder alone, without the REST client.
import MessagingResponse from 'twilio/lib/twiml/MessagingResponse';
import * as z from 'zod';
import type { Config } from '../services/core/shared/config.js';
import { logger, withMaskedErrors } from '../services/core/shared/logging.js';
import { isE164 } from '../services/core/shared/phone.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { receiveTextReply, type TextReplyDeps } from '../services/core/texts/text-reply.js';
import { lambdaAfterCall } from '../services/wiring/lambda-after-call.js';
import { lazily } from '../services/wiring/lambda-container.js';
import { type HttpHandler, textResponse, twimlResponse } from './commons/http.js';
import { twilioFormHandler } from './commons/twilio-webhook.js';

export interface InboundSmsDeps extends Omit<TextReplyDeps, 'now'> {
  config: Pick<Config, 'publicUrl' | 'twilio'>;
  now?: () => number;
}

const smsForm = z.object({
  // SM for a text, MM for a picture message (its media are not fetched; the text is kept).
  MessageSid: z.string().regex(/^(SM|MM)[0-9a-fA-F]{32}$/),
  From: z.string().refine(isE164),
  Body: z.string().max(1600),
});

export function createInboundSmsHandler(deps: InboundSmsDeps): HttpHandler {
  return twilioFormHandler(
    {
      config: deps.config,
      path: WEBHOOK_ROUTES.InboundSms.path,
      schema: smsForm,
      refusing: 'an inbound text',
    },
    async (form) => {
      const { MessageSid: messageSid, From: from, Body: body } = form;
      const log = logger.createChild({ persistentKeys: { messageSid } });
      try {
        await receiveTextReply({ ...deps, now: deps.now ?? Date.now }, { messageSid, from, body }, log);
      } catch (error) {
        // Twilio does not retry a text's webhook: the error (masked) is what the operator sees.
        log.error('Inbound text not kept or forwarded', { error: error as Error });
        return textResponse(500, 'Internal Server Error');
      }
      return twimlResponse(new MessagingResponse().toString());
    },
  );
}

const inboundSmsHandler = lazily(async () => {
  const { runtime, adapters } = await lambdaAfterCall();
  const { config } = runtime;
  return createInboundSmsHandler({
    config,
    crm: adapters.crm,
    mailer: adapters.mailer,
    ownerEmail: config.ownerEmail,
    business: { name: config.business.name, timezone: config.business.timezone },
  });
});

/** The Lambda entry point. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await inboundSmsHandler())(event));
