/**
 * `POST /elevenlabs/post-call`: ElevenLabs' analysis of a finished conversation. The HMAC in the
 * `ElevenLabs-Signature` header is checked on the raw body before anything is parsed (missing,
 * malformed or wrong → 401; too old or from the future → 403), then the analysis is stored and, if
 * the call row is in the CRM already, merged into it.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import {
  ELEVENLABS_SIGNATURE_HEADER,
  verifyElevenLabsSignature,
} from '../services/adapters/elevenlabs/webhook-signature.js';
import { type PostCallDeps, recordPostCall } from '../services/core/after-call/post-call.js';
import type { Config } from '../services/core/shared/config.js';
import { logger, withMaskedErrors } from '../services/core/shared/logging.js';
import { REFUSAL_LOG_MESSAGES } from '../services/core/shared/metric-names.js';
import { afterCallDeps } from '../services/wiring/lambda-after-call.js';
import { lazily } from '../services/wiring/lambda-container.js';
import { type HttpHandler, type HttpResult, header, jsonResponse, rawBody } from './commons/http.js';

export interface PostCallHandlerDeps {
  config: Pick<Config, 'elevenlabsWebhookSecret'>;
  postCall: PostCallDeps;
  now?: () => number;
}

export function createPostCallHandler(deps: PostCallHandlerDeps): HttpHandler {
  const now = deps.now ?? Date.now;
  return async (event: APIGatewayProxyEventV2): Promise<HttpResult> => {
    const secret = deps.config.elevenlabsWebhookSecret;
    if (!secret) {
      logger.error('ELEVENLABS_WEBHOOK_SECRET is not set: post-call webhooks cannot be verified');
      return jsonResponse(503, {
        error: 'not-configured',
        message: 'Set ELEVENLABS_WEBHOOK_SECRET to the webhook secret shown in the ElevenLabs dashboard.',
      });
    }
    const body = rawBody(event);
    const check = verifyElevenLabsSignature({
      secret,
      header: header(event, ELEVENLABS_SIGNATURE_HEADER),
      rawBody: body,
      now: now(),
    });
    if (!check.ok) {
      logger.warn(REFUSAL_LOG_MESSAGES.postCallWebhookSignature, { reason: check.reason });
      const stale = check.reason === 'stale' || check.reason === 'future';
      return jsonResponse(stale ? 403 : 401, { error: stale ? 'stale-signature' : 'invalid-signature' });
    }

    let payload: unknown;
    try {
      payload = JSON.parse(body);
    } catch {
      return jsonResponse(400, { error: 'invalid-json' });
    }
    try {
      const outcome = await recordPostCall(deps.postCall, payload);
      switch (outcome.kind) {
        case 'invalid':
          logger.warn('Post-call webhook body not understood', { problems: outcome.problems });
          return jsonResponse(400, { error: 'invalid-body', problems: outcome.problems });
        case 'ignored':
          return jsonResponse(200, { status: 'ignored', type: outcome.type });
        case 'no-call-sid':
          return jsonResponse(200, { status: 'ignored', reason: 'no call_sid dynamic variable' });
        case 'unmatched':
          // Acknowledged (a retry would not change the answer), nothing stored.
          return jsonResponse(200, { status: 'ignored', reason: 'conversation does not match the call' });
        case 'stored':
          return jsonResponse(200, {
            status: outcome.duplicate ? 'duplicate' : 'stored',
            callSid: outcome.callSid,
            crmUpdated: outcome.crmUpdated,
          });
      }
    } catch (error) {
      // A store or the CRM failed: nothing half-done is left, and a redelivery merges again.
      logger.error('Post-call webhook could not be recorded', { error: error as Error });
      return jsonResponse(500, { error: 'internal' });
    }
  };
}

const postCallHandler = lazily(async () => {
  const { runtime, deps } = await afterCallDeps();
  return createPostCallHandler({ config: runtime.config, postCall: deps });
});

/** The Lambda entry point: adapters are built from the environment on the first invocation. */
export const handler: HttpHandler = withMaskedErrors(async (event) => (await postCallHandler())(event));
