/**
 * `POST /twilio/whisper?call=<parent CallSid>`: the `<Number url>` of a warm transfer. Twilio asks
 * it once the owner picks up, before bridging, and runs what it answers on the owner's leg only:
 * who is calling and why, then press 1 (`<Gather numDigits=1>`, whose `action` is this route with
 * `&step=answer`). 1 ends the whisper and Twilio puts the caller through; any other key, or none,
 * hangs up the owner's leg, so the `<Dial>` ends unbridged and `/twilio/dial-result` takes the
 * caller back to the agent. The query is part of the signed URL, so `call` cannot be forged.
 */
import * as z from 'zod';
import { whisperAnswerTwiml, whisperTwiml } from '../services/adapters/twilio/whisper-twiml.js';
import { WHISPER_ACCEPT_DIGIT, whisperMessage } from '../services/core/outbound/whisper.js';
import type { CallSessionStore } from '../services/core/ports/call-store.js';
import type { Config } from '../services/core/shared/config.js';
import { forCall, withMaskedErrors } from '../services/core/shared/logging.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { whisperUrl } from '../services/core/tools/transfer-to-human.js';
import { lambdaRuntime, lazily } from '../services/wiring/lambda-container.js';
import { type HttpHandler, textResponse, twimlResponse } from './commons/http.js';
import { callSidSchema, twilioFormHandler } from './commons/twilio-webhook.js';

export interface WhisperDeps {
  config: Pick<Config, 'publicUrl' | 'twilio' | 'business'>;
  sessions: Pick<CallSessionStore, 'get'>;
}

const whisperQuery = z.strictObject({
  call: callSidSchema,
  step: z.literal('answer').optional(),
});

const whisperForm = z.object({
  // The owner's leg (a child of the caller's call).
  CallSid: callSidSchema,
  // Only on the `<Gather action>`: the key the owner pressed.
  Digits: z.string().max(32).optional(),
});

export function createWhisperHandler(deps: WhisperDeps): HttpHandler {
  return twilioFormHandler(
    {
      config: deps.config,
      path: WEBHOOK_ROUTES.Whisper.path,
      withQuery: true,
      schema: whisperForm,
      refusing: 'a whisper request',
    },
    async (form, event) => {
      const query = whisperQuery.safeParse(
        Object.fromEntries(new URLSearchParams(event.rawQueryString ?? '')),
      );
      if (!query.success) return textResponse(400, 'Bad Request');
      const { call: callSid, step } = query.data;
      const log = forCall(callSid);
      if (step === 'answer') {
        const accepted = form.Digits === WHISPER_ACCEPT_DIGIT;
        log.info('The owner answered the whisper', { accepted });
        return twimlResponse(whisperAnswerTwiml(accepted));
      }
      let record: Awaited<ReturnType<CallSessionStore['get']>>;
      try {
        record = await deps.sessions.get(callSid);
      } catch (error) {
        // The owner still hears who is calling for which business, only without the details.
        log.error('Call record not read for the whisper', { error: error as Error });
      }
      log.info('Whispering to the owner', { knownCall: record !== undefined });
      return twimlResponse(
        whisperTwiml({
          message: whisperMessage(record, deps.config.business),
          gatherAction: `${whisperUrl(deps.config.publicUrl, callSid)}&step=answer`,
        }),
      );
    },
  );
}

const whisperHandler = lazily(async () => {
  const runtime = await lambdaRuntime();
  return createWhisperHandler({ config: runtime.config, sessions: runtime.stores.sessions });
});

/** The Lambda entry point. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await whisperHandler())(event));
