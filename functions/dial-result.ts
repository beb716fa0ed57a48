/**
 * `POST /twilio/dial-result`: the `<Dial action>` of `transfer_to_human`. Twilio posts how the
 * dial to the owner ended (`DialCallStatus`) and runs the TwiML answered here instead of anything
 * after `<Dial>`. An unanswered transfer is recorded on the session, so finalisation reports the
 * call as `transfer-unanswered` (a callback due, in the owner email and the digest), and the caller
 * hears that we will call back.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import * as z from 'zod';
import { transferResultTwiml } from '../services/adapters/twilio/dial-twiml.js';
import type { CallSessionStore } from '../services/core/call-session.js';
import type { Config } from '../services/core/config.js';
import { forCall, withMaskedErrors } from '../services/core/logging.js';
import { DIAL_RESULT_PATH } from '../services/core/tools/transfer-to-human.js';
import { type HttpHandler, type HttpResult, twimlResponse } from './commons/http.js';
import { callSidSchema, verifiedTwilioForm } from './commons/twilio-webhook.js';
import { lambdaRuntime, lazily } from './runtime.js';

export interface DialResultDeps {
  config: Pick<Config, 'publicUrl' | 'twilio' | 'business'>;
  sessions: Pick<CallSessionStore, 'recordTransferResult'>;
}

const dialForm = z.object({
  CallSid: callSidSchema,
  DialCallStatus: z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']),
});

export function createDialResultHandler(deps: DialResultDeps): HttpHandler {
  return async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    const verified = verifiedTwilioForm(event, {
      config: deps.config,
      path: DIAL_RESULT_PATH,
      schema: dialForm,
      refusing: 'a dial result',
    });
    if ('answer' in verified) return verified.answer;
    const { CallSid: callSid, DialCallStatus: status } = verified.form;
    const answered = status === 'completed' || status === 'answered';
    const log = forCall(callSid);
    try {
      await deps.sessions.recordTransferResult(callSid, status);
    } catch (error) {
      // The caller must still hear what happens next; the row then says Twilio's status only.
      log.error('Transfer result not recorded', { error: error as Error, status });
    }
    log.info('Transfer ended', { status, answered });
    return twimlResponse(transferResultTwiml({ answered, businessName: deps.config.business.name }));
  };
}

const dialResultHandler = lazily(async () => {
  const runtime = await lambdaRuntime();
  return createDialResultHandler({ config: runtime.config, sessions: runtime.stores.sessions });
});

/** The Lambda entry point. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await dialResultHandler())(event));
