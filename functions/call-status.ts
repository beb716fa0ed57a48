/**
 * `POST /twilio/status`: Twilio's call status callback. A final status (`completed`, `busy`,
 * `no-answer`, `failed`, `canceled`) finalises the call: CRM row, turns, owner email, once. Other
 * statuses (`ringing`, `in-progress`, …) are acknowledged and change nothing. Every outcome of a
 * verified final status answers 200: a step that failed is kept pending and retried by the digest
 * run, so Twilio has nothing to retry.
 */
import * as z from 'zod';
import { type FinaliseDeps, finaliseCall } from '../services/core/after-call/finalise-call.js';
import { isFinalCallStatus } from '../services/core/ports/call-store.js';
import type { Config } from '../services/core/shared/config.js';
import { forCall, withMaskedErrors } from '../services/core/shared/logging.js';
import { WEBHOOK_ROUTES } from '../services/core/shared/routes.js';
import { lazily } from '../services/wiring/lambda-container.js';
import { finalisingDeps } from '../services/wiring/lambda-finalising.js';
import { type HttpHandler, textResponse } from './commons/http.js';
import { streamNeverConnectedCounter } from './commons/metrics.js';
import { callSidSchema, twilioFormHandler } from './commons/twilio-webhook.js';

export interface CallStatusDeps {
  config: Pick<Config, 'publicUrl' | 'twilio'>;
  finalise: FinaliseDeps;
  now?: () => number;
}

const statusForm = z.object({
  CallSid: callSidSchema,
  CallStatus: z.string().min(1),
  CallDuration: z
    .string()
    .regex(/^\d{1,7}$/)
    .transform(Number)
    .optional(),
  From: z.string().min(1).optional(),
  To: z.string().min(1).optional(),
  Direction: z.string().optional(),
});

/**
 * Twilio's `Direction`: `inbound` for calls to the business number; `outbound-api` for calls we
 * placed through the REST API, `outbound-dial` for a `<Dial>` leg. Unknown values count as inbound.
 */
export function directionOf(direction: string | undefined): 'inbound' | 'outbound' {
  return direction === 'outbound-api' || direction === 'outbound-dial' ? 'outbound' : 'inbound';
}

export function createCallStatusHandler(deps: CallStatusDeps): HttpHandler {
  const now = deps.now ?? Date.now;
  return twilioFormHandler(
    {
      config: deps.config,
      path: WEBHOOK_ROUTES.CallStatus.path,
      schema: statusForm,
      refusing: 'a status callback',
    },
    async (form) => {
      const log = forCall(form.CallSid);
      if (!isFinalCallStatus(form.CallStatus)) {
        log.info('Call status noted: not final, nothing to do', { status: form.CallStatus });
        return textResponse(200, 'OK');
      }

      try {
        const outcome = await finaliseCall(deps.finalise, {
          callSid: form.CallSid,
          status: form.CallStatus,
          durationSeconds: form.CallDuration,
          at: now(),
          fallback:
            form.From && form.To
              ? { from: form.From, to: form.To, direction: directionOf(form.Direction) }
              : undefined,
        });
        log.info('Final call status handled', { status: form.CallStatus, outcome: outcome.kind });
        return textResponse(200, 'OK');
      } catch (error) {
        // Only the first write (the pending state) can get here: nothing was recorded, so let Twilio
        // see the failure (its retry, where configured, starts over cleanly).
        log.error('Final call status could not be recorded', {
          error: error as Error,
          status: form.CallStatus,
        });
        return textResponse(500, 'Internal Server Error');
      }
    },
  );
}

const callStatusHandler = lazily(async () => {
  const { runtime, deps } = await finalisingDeps();
  return createCallStatusHandler({
    config: runtime.config,
    finalise: { ...deps, onStreamNeverConnected: streamNeverConnectedCounter() },
  });
});

/** The Lambda entry point: adapters are built from the environment on the first invocation. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await callStatusHandler())(event));
