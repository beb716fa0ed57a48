/**
 * `POST /twilio/dial-result`: the `<Dial action>` of `transfer_to_human`. Twilio posts how the
 * dial to the owner ended (`DialCallStatus`, and `DialBridged`: whether the owner accepted in the
 * whisper) and runs the TwiML answered here instead of anything after `<Dial>`. A transfer nobody
 * took is recorded on the session, so finalisation reports the call as `transfer-unanswered` (a
 * callback due, in the owner email and the digest), and the caller goes back to the agent: the
 * session reopens with a new one-time stream token and the answer is a fresh `<Connect><Stream>`;
 * the bridge gives the engine the conversation so far. When the call cannot go back (the session
 * was not marked transferred yet, or already came back once), the caller hears that we will call back.
 */
import * as z from 'zod';
import { transferResultTwiml } from '../services/adapters/twilio/dial-twiml.js';
import { connectStreamTwiml } from '../services/adapters/twilio/twiml.js';
import { DIAL_DECLINED } from '../services/core/call/call-session.js';
import { hashStreamToken, newStreamToken } from '../services/core/call/stream-token.js';
import type { CallSessionStore } from '../services/core/ports/call-store.js';
import type { Config } from '../services/core/shared/config.js';
import { forCall, withMaskedErrors } from '../services/core/shared/logging.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { lambdaRuntime, lazily } from '../services/wiring/lambda-container.js';
import { type HttpHandler, type HttpResult, twimlResponse } from './commons/http.js';
import { callSidSchema, twilioFormHandler } from './commons/twilio-webhook.js';

export interface DialResultDeps {
  config: Pick<Config, 'publicUrl' | 'twilio' | 'business' | 'streamUrl'>;
  sessions: Pick<CallSessionStore, 'recordTransferResult' | 'reopenAfterTransfer'>;
  now?: () => number;
}

const dialForm = z.object({
  CallSid: callSidSchema,
  DialCallStatus: z.enum(['completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled']),
  // Whether the owner's leg was connected to the caller (docs/protocols.md §3.7): an owner who
  // picked up but refused in the whisper is `completed` and not bridged.
  DialBridged: z.enum(['true', 'false']).optional(),
});

/** The status recorded on the session: Twilio's, or `declined` for an answered leg never bridged. */
function transferStatusOf(form: z.infer<typeof dialForm>): { status: string; answered: boolean } {
  const pickedUp = form.DialCallStatus === 'completed' || form.DialCallStatus === 'answered';
  if (pickedUp && form.DialBridged === 'false') return { status: DIAL_DECLINED, answered: false };
  return { status: form.DialCallStatus, answered: pickedUp };
}

export function createDialResultHandler(deps: DialResultDeps): HttpHandler {
  const now = deps.now ?? Date.now;
  return twilioFormHandler(
    {
      config: deps.config,
      path: WEBHOOK_ROUTES.DialResult.path,
      schema: dialForm,
      refusing: 'a dial result',
    },
    async (form) => {
      const callSid = form.CallSid;
      const { status, answered } = transferStatusOf(form);
      const log = forCall(callSid);
      log.info('Transfer ended', { status, answered });
      if (!answered) {
        const back = await backToTheAgent(deps, callSid, status, now());
        if (back) return back;
      }
      try {
        await deps.sessions.recordTransferResult(callSid, status);
      } catch (error) {
        // The caller must still hear what happens next; the row then says Twilio's status only.
        log.error('Transfer result not recorded', { error: error as Error, status });
      }
      return twimlResponse(transferResultTwiml({ answered, businessName: deps.config.business.name }));
    },
  );
}

/** Reopens the session with a new token and connects the caller to the bridge again, if it may. */
async function backToTheAgent(
  deps: DialResultDeps,
  callSid: string,
  dialStatus: string,
  at: number,
): Promise<HttpResult | undefined> {
  const token = newStreamToken();
  try {
    const reopened = await deps.sessions.reopenAfterTransfer(callSid, {
      streamTokenHash: hashStreamToken(token),
      dialStatus,
      at,
    });
    if (!reopened) return undefined;
  } catch (error) {
    forCall(callSid).error('The call could not go back to the agent', { error: error as Error });
    return undefined;
  }
  forCall(callSid).info('The caller goes back to the agent', { dialStatus });
  return twimlResponse(
    connectStreamTwiml({ streamUrl: deps.config.streamUrl, parameters: { token, callSid } }),
  );
}

const dialResultHandler = lazily(async () => {
  const runtime = await lambdaRuntime();
  return createDialResultHandler({ config: runtime.config, sessions: runtime.stores.sessions });
});

/** The Lambda entry point. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await dialResultHandler())(event));
