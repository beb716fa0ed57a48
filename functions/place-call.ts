/**
 * `POST /calls` and the target of one-time callback schedules: place an outbound call now, or
 * schedule it for its `at`. Over HTTP the caller is authorised by API Gateway (IAM) in AWS and by
 * `Authorization: Bearer <CALLS_API_KEY>` in the local stack. EventBridge Scheduler invokes the
 * function directly with the request itself as the event; an event without `requestContext` is that.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { placeCallDepsFor } from '../services/adapters/from-config.js';
import { eventBridgeSchedulerFor } from '../services/adapters/scheduler/callback-scheduler.js';
import { ConfigError } from '../services/core/config.js';
import { logger } from '../services/core/logging.js';
import {
  type PlaceCallDeps,
  type PlaceCallOutcome,
  placeCall,
  REFUSAL_HTTP_STATUS,
} from '../services/core/place-call.js';
import { lambdaBusiness } from './commons/business.js';
import { type HttpHandler, type HttpResult, header, jsonResponse, rawBody } from './commons/http.js';
import { lazily } from './runtime.js';

export const CALLS_PATH = '/calls';

/** `iam`: API Gateway has authorised the request. `api-key`: the local stack checks CALLS_API_KEY. */
export type CallsAuthorization = { kind: 'iam' } | { kind: 'api-key'; key: string | undefined };

export interface PlaceCallHandlerDeps {
  placeCall: PlaceCallDeps;
  authorization: CallsAuthorization;
}

/** What the Lambda receives: an API Gateway event for `POST /calls`, or a schedule's payload. */
export type PlaceCallEvent = APIGatewayProxyEventV2 | Record<string, unknown>;

export interface PlaceCallHandler {
  /** `POST /calls`. */
  http: HttpHandler;
  /**
   * A due schedule. Throws when Twilio refused the call, so EventBridge Scheduler retries (the same
   * idempotency key may be placed again after a failure); a refusal is final and is returned.
   */
  scheduled(payload: Record<string, unknown>): Promise<PlaceCallOutcome>;
  /** The Lambda's own dispatch between the two. */
  handle(event: PlaceCallEvent): Promise<HttpResult | PlaceCallOutcome>;
}

export function isHttpEvent(event: PlaceCallEvent): event is APIGatewayProxyEventV2 {
  return typeof event === 'object' && event !== null && 'requestContext' in event;
}

export function createPlaceCallHandler(deps: PlaceCallHandlerDeps): PlaceCallHandler {
  const http: HttpHandler = async (event) => {
    const refusal = authorise(event, deps.authorization);
    if (refusal) return refusal;

    let body: unknown;
    try {
      body = JSON.parse(rawBody(event) || 'null');
    } catch {
      return jsonResponse(400, { error: 'invalid-json', message: 'The body must be JSON.' });
    }
    try {
      return toHttp(await placeCall(deps.placeCall, body));
    } catch (error) {
      logger.error('POST /calls failed', { error: error as Error });
      return jsonResponse(500, { error: 'internal', message: 'The call could not be placed.' });
    }
  };

  const scheduled = async (payload: Record<string, unknown>): Promise<PlaceCallOutcome> => {
    const outcome = await placeCall(deps.placeCall, payload);
    const key = payload.idempotencyKey;
    switch (outcome.kind) {
      case 'failed':
        throw new Error(`Scheduled call ${String(key)} not placed: ${outcome.message}`);
      case 'duplicate':
        // Another run holds the request's lease right now: the Scheduler's retry (after the lease)
        // resolves it, so a callback whose first run crashed mid-placement is never dropped.
        if (outcome.status === 'placing')
          throw new Error(`Scheduled call ${String(key)} is being placed by another run; retry`);
        logger.info('Scheduled call handled', { idempotencyKey: key, outcome: outcome.kind });
        return outcome;
      case 'refused':
        logger.error('Scheduled call refused: not retried', {
          idempotencyKey: key,
          code: outcome.code,
          message: outcome.message,
        });
        return outcome;
      default:
        logger.info('Scheduled call handled', { idempotencyKey: key, outcome: outcome.kind });
        return outcome;
    }
  };

  return {
    http,
    scheduled,
    handle: (event) => (isHttpEvent(event) ? http(event) : scheduled(event)),
  };
}

function toHttp(outcome: PlaceCallOutcome): HttpResult {
  switch (outcome.kind) {
    case 'refused':
      return jsonResponse(REFUSAL_HTTP_STATUS[outcome.code], {
        error: outcome.code,
        message: outcome.message,
        ...(outcome.problems ? { problems: outcome.problems } : {}),
      });
    case 'scheduled':
      return jsonResponse(202, {
        status: 'scheduled',
        idempotencyKey: outcome.idempotencyKey,
        scheduleName: outcome.scheduleName,
        at: outcome.at,
        created: outcome.created,
      });
    case 'placed':
      return jsonResponse(202, {
        status: 'placed',
        idempotencyKey: outcome.idempotencyKey,
        callSid: outcome.callSid,
      });
    case 'duplicate':
      return jsonResponse(202, {
        status: 'duplicate',
        idempotencyKey: outcome.idempotencyKey,
        requestStatus: outcome.status,
        ...(outcome.callSid ? { callSid: outcome.callSid } : {}),
      });
    case 'failed':
      return jsonResponse(502, {
        error: 'twilio-failed',
        idempotencyKey: outcome.idempotencyKey,
        message: outcome.message,
      });
  }
}

function authorise(event: APIGatewayProxyEventV2, authorization: CallsAuthorization): HttpResult | undefined {
  if (authorization.kind === 'iam') return undefined;
  if (!authorization.key) {
    return jsonResponse(403, {
      error: 'not-configured',
      message:
        'POST /calls is refused until CALLS_API_KEY is set: set it in .env and send "Authorization: Bearer <CALLS_API_KEY>".',
    });
  }
  const given = /^Bearer\s+(\S+)\s*$/i.exec(header(event, 'authorization') ?? '')?.[1];
  if (!given || !sameSecret(given, authorization.key)) {
    logger.warn('Refused POST /calls: missing or wrong API key', { hadAuthorization: given !== undefined });
    return {
      ...jsonResponse(401, {
        error: 'unauthorized',
        message: 'Send "Authorization: Bearer <CALLS_API_KEY>".',
      }),
      headers: { 'content-type': 'application/json; charset=utf-8', 'www-authenticate': 'Bearer' },
    };
  }
  return undefined;
}

/** Constant time whatever the lengths: both sides are hashed first. */
function sameSecret(given: string, expected: string): boolean {
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

const placeCallHandler = lazily(async () => {
  const { runtime, adapters } = await lambdaBusiness();
  const { config } = runtime;
  const scheduler = eventBridgeSchedulerFor(config.callbacks);
  if (!scheduler) {
    throw new ConfigError([
      'CALLBACK_TARGET_ARN and CALLBACK_SCHEDULE_ROLE_ARN are required in AWS (set by the stack)',
    ]);
  }
  return createPlaceCallHandler({
    authorization: { kind: 'iam' },
    placeCall: placeCallDepsFor(config, adapters, {
      sessions: runtime.stores.sessions,
      requests: runtime.stores.outboundRequests,
      scheduler,
      providerFlag: runtime.providerFlag,
    }),
  });
});

/** The Lambda entry point: `POST /calls` through API Gateway, or a callback schedule firing. */
export const handler = async (event: PlaceCallEvent): Promise<HttpResult | PlaceCallOutcome> =>
  (await placeCallHandler()).handle(event);
