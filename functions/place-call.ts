/**
 * `POST /calls` and the target of one-time callback schedules: place an outbound call now, or
 * schedule it for its `at`. Over HTTP the caller is authorised by API Gateway (IAM) in AWS and by
 * `Authorization: Bearer <CALLS_API_KEY>` in the local stack. EventBridge Scheduler invokes the
 * function directly with the request itself as the event; an event without `requestContext` is that.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { callbackNotPlacedEmail } from '../services/core/outbound/callback-failure.js';
import {
  type PlaceCallDeps,
  type PlaceCallOutcome,
  placeCall,
  REFUSAL_HTTP_STATUS,
} from '../services/core/outbound/place-call.js';
import type { Mailer } from '../services/core/ports/mail.js';
import { logger, withMaskedErrors } from '../services/core/shared/logging.js';
import {
  isReminderPayload,
  type ReminderDeps,
  type ReminderOutcome,
  sendBookingReminder,
} from '../services/core/texts/booking-reminder.js';
import { lazily } from '../services/wiring/lambda-container.js';
import { placeCallHandlerDeps } from '../services/wiring/lambda-place-call.js';
import { type HttpHandler, type HttpResult, header, jsonResponse, rawBody } from './commons/http.js';

/** `iam`: API Gateway has authorised the request. `api-key`: the local stack checks CALLS_API_KEY. */
export type CallsAuthorization = { kind: 'iam' } | { kind: 'api-key'; key: string | undefined };

export interface PlaceCallHandlerDeps {
  placeCall: PlaceCallDeps;
  authorization: CallsAuthorization;
  /** Where a scheduled callback that could not be placed is reported (`OWNER_EMAIL`). */
  owner?: { mailer: Mailer; email?: string };
  /** Sends a booking's reminder when its schedule fires; absent (texts off): the reminder is dropped, logged. */
  reminders?: ReminderDeps;
}

/** What the Lambda receives: an API Gateway event for `POST /calls`, or a schedule's payload. */
export type PlaceCallEvent = APIGatewayProxyEventV2 | Record<string, unknown>;

export interface PlaceCallHandler {
  /** `POST /calls`. */
  http: HttpHandler;
  /**
   * A due schedule. Throws whenever the call was not placed, so the invocation fails: Twilio
   * refusing it is retried (the same idempotency key may be placed again after a failure), and a
   * failure that outlasts the retries, or a refusal (final), lands in the function's on-failure
   * destination. The owner is emailed at the first failure (once per callback).
   */
  scheduled(payload: Record<string, unknown>): Promise<PlaceCallOutcome | ReminderOutcome>;
  /** The Lambda's own dispatch between the two. */
  handle(event: PlaceCallEvent): Promise<HttpResult | PlaceCallOutcome | ReminderOutcome>;
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
    const keyed = withIdempotencyKeyHeader(body, header(event, IDEMPOTENCY_KEY_HEADER));
    if ('refusal' in keyed) return keyed.refusal;
    try {
      return toHttp(await placeCall(deps.placeCall, keyed.body));
    } catch (error) {
      logger.error('POST /calls failed', { error: error as Error });
      return jsonResponse(500, { error: 'internal', message: 'The call could not be placed.' });
    }
  };

  /** Emails the owner; a mail failure is logged, never hides the callback's own failure. */
  const reportNotPlaced = async (payload: Record<string, unknown>, why: string): Promise<void> => {
    const owner = deps.owner;
    if (!owner?.email) {
      logger.error('A scheduled callback was not placed and OWNER_EMAIL is not set: nobody is told');
      return;
    }
    try {
      await owner.mailer.send(callbackNotPlacedEmail(owner.email, payload, why));
    } catch (error) {
      logger.error('Could not email the owner about a callback not placed', { error: error as Error });
    }
  };

  const scheduled = async (payload: Record<string, unknown>): Promise<PlaceCallOutcome | ReminderOutcome> => {
    // The same one-time schedules carry a booking's day-before reminder.
    if (isReminderPayload(payload)) {
      if (!deps.reminders) {
        logger.warn('A booking reminder fell due with texts off: not sent');
        return { kind: 'reminder', sent: false, why: 'disabled' };
      }
      return sendBookingReminder(deps.reminders, payload, logger);
    }
    const outcome = await placeCall(deps.placeCall, payload);
    const key = payload.idempotencyKey;
    switch (outcome.kind) {
      case 'failed':
        await reportNotPlaced(payload, `Twilio refused the call (${outcome.message})`);
        throw new Error(`Scheduled call ${String(key)} not placed: ${outcome.message}`);
      case 'duplicate':
        // Another run holds the request's lease right now: the Scheduler's retry (after the lease)
        // resolves it, so a callback whose first run crashed mid-placement is never dropped.
        if (outcome.status === 'placing')
          throw new Error(`Scheduled call ${String(key)} is being placed by another run; retry`);
        logger.info('Scheduled call handled', { idempotencyKey: key, outcome: outcome.kind });
        return outcome;
      case 'refused':
        // The message may quote the number: the code says why. Thrown, not returned, so the
        // invocation fails into the on-failure destination instead of ending as a success.
        logger.error('Scheduled call refused', { idempotencyKey: key, code: outcome.code });
        await reportNotPlaced(payload, `refused: ${outcome.code}`);
        throw new Error(`Scheduled call ${String(key)} refused: ${outcome.code}`);
      default:
        logger.info('Scheduled call handled', { idempotencyKey: key, outcome: outcome.kind });
        return outcome;
    }
  };

  return {
    http,
    scheduled,
    // A due schedule's failure is thrown to the Lambda runtime, which logs it without our replacer.
    handle: withMaskedErrors(
      async (event: PlaceCallEvent): Promise<HttpResult | PlaceCallOutcome | ReminderOutcome> =>
        isHttpEvent(event) ? http(event) : scheduled(event),
    ),
  };
}

/** The conventional header (IETF httpapi draft, Stripe); `idempotencyKey` in the body means the same. */
export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';

/** The body with the header's key in it; both given and different is a client error. */
function withIdempotencyKeyHeader(
  body: unknown,
  key: string | undefined,
): { body: unknown } | { refusal: HttpResult } {
  if (key === undefined) return { body };
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { body };
  const inBody = (body as Record<string, unknown>).idempotencyKey;
  if (inBody !== undefined && inBody !== key) {
    return {
      refusal: jsonResponse(400, {
        error: 'invalid-request',
        message: 'The Idempotency-Key header and the idempotencyKey in the body differ; send one of them.',
      }),
    };
  }
  return { body: { ...body, idempotencyKey: key } };
}

/**
 * A repeat with the same key answers as the first request did (with `Idempotent-Replayed: true`),
 * so a client that retried after a lost answer cannot tell the difference and places nothing twice.
 */
function toHttp(outcome: PlaceCallOutcome): HttpResult {
  switch (outcome.kind) {
    case 'refused':
      return jsonResponse(REFUSAL_HTTP_STATUS[outcome.code], {
        error: outcome.code,
        message: outcome.message,
        ...(outcome.problems ? { problems: outcome.problems } : {}),
      });
    case 'scheduled':
      return replayed(
        jsonResponse(202, {
          status: 'scheduled',
          idempotencyKey: outcome.idempotencyKey,
          scheduleName: outcome.scheduleName,
          at: outcome.at,
        }),
        !outcome.created,
      );
    case 'placed':
      return jsonResponse(202, {
        status: 'placed',
        idempotencyKey: outcome.idempotencyKey,
        callSid: outcome.callSid,
      });
    case 'duplicate':
      if (outcome.status === 'placed' && outcome.callSid) {
        return replayed(
          jsonResponse(202, {
            status: 'placed',
            idempotencyKey: outcome.idempotencyKey,
            callSid: outcome.callSid,
          }),
          true,
        );
      }
      // The first request with this key is still placing the call: its answer is not known yet.
      return jsonResponse(409, {
        error: 'request-in-progress',
        idempotencyKey: outcome.idempotencyKey,
        message: 'A request with this Idempotency-Key is still being processed; retry shortly.',
      });
    case 'failed':
      return jsonResponse(502, {
        error: 'twilio-failed',
        idempotencyKey: outcome.idempotencyKey,
        message: outcome.message,
      });
  }
}

function replayed(result: HttpResult, isReplay: boolean): HttpResult {
  return isReplay ? { ...result, headers: { ...result.headers, 'idempotent-replayed': 'true' } } : result;
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

const placeCallHandler = lazily(async () => createPlaceCallHandler(await placeCallHandlerDeps()));

/** The Lambda entry point: `POST /calls` through API Gateway, or a callback (or reminder) schedule firing. */
export const handler = withMaskedErrors(
  async (event: PlaceCallEvent): Promise<HttpResult | PlaceCallOutcome | ReminderOutcome> =>
    (await placeCallHandler()).handle(event),
);
