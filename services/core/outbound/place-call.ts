/**
 * Calls we place: `POST /calls`, a due one-time schedule and the `schedule_callback` tool all come
 * through `placeCall`. A request is validated (E.164, the country allow-list against toll fraud,
 * calling hours), then either scheduled for its `at` or placed now, once per idempotency key.
 *
 * Outbound sessions: Twilio gives the callSid only when the call is created, so the request record
 * (keyed by the idempotency key, written first with a conditional put) is what makes a duplicate
 * request harmless. Once Twilio answers with the callSid the session is opened with a token hash
 * nobody holds; when the callee picks up, `answerOutboundCall` (`POST /twilio/outbound`) mints the
 * real one-time token and puts its hash on the session, exactly as a retried inbound webhook does.
 * The TwiML URL carries the idempotency key (`?requestId=`), so that webhook can open the session
 * from the request record even if it wins the race against our own `sessions.open`.
 */
import { randomUUID } from 'node:crypto';
import { DateTime } from 'luxon';
import * as z from 'zod';
import type { NewCallSession } from '../call/call-session.js';
import { chooseProvider, lookUpCustomer } from '../call/call-setup.js';
import { hashStreamToken, newStreamToken } from '../call/stream-token.js';
import type { CallSessionStore, OutboundRequest, OutboundRequestStore } from '../ports/call-store.js';
import type { Crm } from '../ports/crm.js';
import type { ProviderFlag } from '../ports/flags.js';
import type { CallbackScheduler } from '../ports/scheduler.js';
import type { CallControl, CallLookup, TwilioCall } from '../ports/telephony.js';
import { type BusinessHours, isWithinHours } from '../shared/business-hours.js';
import type { EngineName } from '../shared/engines.js';
import { forCall, logger } from '../shared/logging.js';
import { destinationProblem, maskPhone } from '../shared/phone.js';
import { routeUrl, WEBHOOK_ROUTES } from '../shared/routes.js';

/**
 * Optional (`Idempotency-Key` header or `idempotencyKey` in the body): the caller decides what "the
 * same request" means (a retried HTTP call, a schedule firing, a tool retried mid-call). Without
 * one, each request is a new call and gets a random key, because deriving one from the content
 * would turn two genuine calls to the same number for the same reason into one. The key also names
 * the schedule (`callback-<key>`, within EventBridge Scheduler's 64 characters).
 */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9._-]{1,48}$/;

/**
 * How long a `placing` request belongs to the run that wrote it. Placing takes one Twilio request
 * (seconds); a request still `placing` after this was left by a run that crashed between Twilio's
 * answer and its record, and the next request with the key resolves it.
 */
export const OUTBOUND_LEASE_MS = 60 * 1000;
/** Twilio's and our clocks may differ a little: calls created this long before the request count. */
const CLOCK_SKEW_MS = 60 * 1000;

/** A schedule is not made for a time this close: the call is placed now. */
const SCHEDULE_THRESHOLD_MS = 60 * 1000;
/**
 * An `at` this far in the past is still honoured (a schedule fires a little late, or is retried by
 * the Scheduler within its 15-minute event age); older is refused rather than called out of hours.
 */
export const AT_PAST_TOLERANCE_MS = 15 * 60 * 1000;
export const AT_MAX_AHEAD_MS = 30 * 24 * 60 * 60 * 1000;

const atPattern = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?(?:Z|[+-]\d{2}:?\d{2})?$/;

export const placeCallRequestSchema = z.strictObject({
  to: z.string().trim().min(1, 'is required'),
  name: z.string().trim().min(1).max(120).optional(),
  leadId: z.string().trim().min(1).max(100).optional(),
  reason: z.string().trim().min(1).max(500).optional(),
  /** ISO 8601 with an offset, or local `YYYY-MM-DDTHH:mm` in the business time zone. */
  at: z
    .string()
    .trim()
    .regex(atPattern, 'must be ISO 8601 with an offset, or local YYYY-MM-DDTHH:mm in the business time zone')
    .optional(),
  idempotencyKey: z
    .string({ error: 'must be a string' })
    .regex(IDEMPOTENCY_KEY_PATTERN, 'must be 1–48 characters of A-Z a-z 0-9 . _ -')
    .optional(),
});
/** A request after validation: it always has a key (the caller's, or a fresh random one). */
export type PlaceCallRequest = z.infer<typeof placeCallRequestSchema> & { idempotencyKey: string };

export interface OutboundSettings {
  /** Public base URL of the webhooks, no trailing slash. */
  publicUrl: string;
  /** The business number calls are placed from (and the voicemail's callback number). */
  businessNumber: string;
  allowedCountries: string[];
  business: { name: string; timezone: string; hours: BusinessHours; hoursText: string };
  /** Used when the provider flag cannot be read. */
  defaultProvider: EngineName;
}

export interface PlaceCallDeps {
  settings: OutboundSettings;
  /** `get`: whether a call Twilio lists was recorded by another request (a stale request's check). */
  sessions: Pick<CallSessionStore, 'open' | 'get'>;
  requests: Pick<OutboundRequestStore, 'create' | 'markPlaced' | 'markFailed' | 'takeOver'>;
  callControl: Pick<CallControl, 'placeCall'>;
  /** Resolves a stale `placing` request: did Twilio create a call to that number since? */
  callLookup: Pick<CallLookup, 'callsBetween'>;
  scheduler: CallbackScheduler;
  providerFlag: ProviderFlag;
  /** Absent: the agent gets no CRM context about the person called. */
  crm?: Pick<Crm, 'findCustomerByPhone'>;
  now: () => number;
}

export type RefusalCode =
  | 'invalid-request'
  | 'invalid-number'
  | 'country-not-allowed'
  | 'premium-rate'
  | 'outside-hours'
  | 'at-in-past'
  | 'at-too-far'
  /** The idempotency key was used before for a different request (another number or reason). */
  | 'idempotency-key-reused';

/** The HTTP status `POST /calls` answers a refusal with. */
export const REFUSAL_HTTP_STATUS: Record<RefusalCode, number> = {
  'invalid-request': 400,
  'invalid-number': 400,
  'at-in-past': 400,
  'at-too-far': 400,
  'country-not-allowed': 403,
  'premium-rate': 403,
  'outside-hours': 409,
  'idempotency-key-reused': 422,
};

export type PlaceCallOutcome =
  | { kind: 'refused'; code: RefusalCode; message: string; problems?: string[] }
  /** A one-time schedule exists for `at` (made now, or earlier by the same key: `created: false`). */
  | { kind: 'scheduled'; idempotencyKey: string; scheduleName: string; at: string; created: boolean }
  | { kind: 'placed'; idempotencyKey: string; callSid: string }
  /** This key was seen before: nothing new was placed. */
  | { kind: 'duplicate'; idempotencyKey: string; status: OutboundRequest['status']; callSid?: string }
  /** Twilio refused to create the call; the same key may be retried. */
  | { kind: 'failed'; idempotencyKey: string; message: string };

export function scheduleNameFor(idempotencyKey: string): string {
  return `callback-${idempotencyKey}`;
}

/** `body` is the parsed JSON of `POST /calls`, or a schedule's payload. */
export async function placeCall(deps: PlaceCallDeps, body: unknown): Promise<PlaceCallOutcome> {
  const parsed = placeCallRequestSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'} ${i.message}`);
    return {
      kind: 'refused',
      code: 'invalid-request',
      message: `Invalid request: ${problems.join('; ')}`,
      problems,
    };
  }
  const request: PlaceCallRequest = {
    ...parsed.data,
    idempotencyKey: parsed.data.idempotencyKey ?? randomUUID(),
  };
  const { settings } = deps;
  const now = deps.now();

  const numberProblem = checkDestination(request.to, settings.allowedCountries);
  if (numberProblem) return numberProblem;

  let at: DateTime | undefined;
  if (request.at !== undefined) {
    at = DateTime.fromISO(request.at, { zone: settings.business.timezone, setZone: true });
    if (!at.isValid) return refuse('invalid-request', `at "${request.at}" is not a real date and time`);
    if (at.toMillis() < now - AT_PAST_TOLERANCE_MS) {
      return refuse('at-in-past', `at ${at.toISO()} is in the past`);
    }
    if (at.toMillis() > now + AT_MAX_AHEAD_MS) return refuse('at-too-far', 'at must be within 30 days');
    if (at.toMillis() > now + SCHEDULE_THRESHOLD_MS) return schedule(deps, request, at);
  } else if (!isWithinHours(settings.business.hours, settings.business.timezone, now)) {
    return refuse(
      'outside-hours',
      `Outside calling hours (${settings.business.hoursText}, ${settings.business.timezone}); give "at" to schedule the call`,
    );
  }
  return placeNow(deps, request, now);
}

function refuse(code: RefusalCode, message: string): PlaceCallOutcome {
  return { kind: 'refused', code, message };
}

/** The toll-fraud guard (`destinationProblem`) as a refusal of `POST /calls`. */
function checkDestination(to: string, allowedCountries: string[]): PlaceCallOutcome | undefined {
  const problem = destinationProblem(to, allowedCountries);
  return problem && refuse(problem.code, problem.message);
}

async function schedule(
  deps: PlaceCallDeps,
  request: PlaceCallRequest,
  at: DateTime,
): Promise<PlaceCallOutcome> {
  const { timezone } = deps.settings.business;
  const atIso = at.setZone(timezone).toISO({ suppressMilliseconds: true }) ?? '';
  const scheduleName = scheduleNameFor(request.idempotencyKey);
  // The payload is the request itself with `at` made absolute: when the schedule fires, `at` is
  // now, so the call is placed at once and (as asked for a time) outside the hours check.
  const payload: Record<string, unknown> = { ...request, at: atIso };
  const { created } = await deps.scheduler.scheduleOnce({
    name: scheduleName,
    at: at.toMillis(),
    timezone,
    payload,
  });
  logger.info('Outbound call scheduled', {
    to: maskPhone(request.to),
    at: atIso,
    scheduleName,
    created,
  });
  return { kind: 'scheduled', idempotencyKey: request.idempotencyKey, scheduleName, at: atIso, created };
}

async function placeNow(
  deps: PlaceCallDeps,
  request: PlaceCallRequest,
  now: number,
): Promise<PlaceCallOutcome> {
  const { settings } = deps;
  const key = request.idempotencyKey;
  const provider = await chooseProvider(deps.providerFlag, settings.defaultProvider, logger);
  const customer = await lookUpCustomer(deps.crm, request.to, now, logger);
  const { created, request: stored } = await deps.requests.create({
    idempotencyKey: key,
    to: request.to,
    from: settings.businessNumber,
    name: request.name,
    leadId: request.leadId,
    reason: request.reason,
    provider,
    customer,
    createdAt: now,
  });
  if (!created) {
    if (!sameRequest(stored, request)) {
      logger.warn('Idempotency key reused for a different request: refused', { idempotencyKey: key });
      return refuse(
        'idempotency-key-reused',
        `Idempotency key ${key} was already used for a different request; use a new key for a new call`,
      );
    }
    if (stored.status === 'placing' && (stored.leaseUntil ?? stored.createdAt + OUTBOUND_LEASE_MS) < now) {
      return resolveStale(deps, stored, now);
    }
    logger.info('Duplicate outbound request: nothing placed', { idempotencyKey: key, status: stored.status });
    return { kind: 'duplicate', idempotencyKey: key, status: stored.status, callSid: stored.callSid };
  }
  return dial(deps, stored);
}

/**
 * A `placing` request whose lease ran out: its run died after asking Twilio, or before. Twilio is
 * asked for calls from our number to that number made during the lease: one found that no other
 * request recorded is this one's, and is recorded (never dialled twice); none, and this run takes
 * the lease over and places the call.
 */
async function resolveStale(
  deps: PlaceCallDeps,
  stored: OutboundRequest,
  now: number,
): Promise<PlaceCallOutcome> {
  const key = stored.idempotencyKey;
  const call = await callOfLease(deps, stored);
  if (call) {
    await deps.requests.markPlaced(key, call.callSid);
    await openSession(deps, stored, call.callSid);
    forCall(call.callSid).warn('Stale outbound request: Twilio had placed its call; recorded', {
      idempotencyKey: key,
    });
    return { kind: 'duplicate', idempotencyKey: key, status: 'placed', callSid: call.callSid };
  }
  if (!(await deps.requests.takeOver(key, now, now + OUTBOUND_LEASE_MS))) {
    return { kind: 'duplicate', idempotencyKey: key, status: 'placing' };
  }
  logger.warn('Stale outbound request: Twilio has no call for it; placing it now', { idempotencyKey: key });
  return dial(deps, stored);
}

/**
 * The call the run holding `stored`'s lease placed, if any. Only the lease's own window counts (the
 * dying run can only have dialled then), and a call whose session names another request is that
 * request's: the same number may be called again (another callback, another `POST /calls`).
 */
async function callOfLease(deps: PlaceCallDeps, stored: OutboundRequest): Promise<TwilioCall | undefined> {
  const leaseUntil = stored.leaseUntil ?? stored.createdAt + OUTBOUND_LEASE_MS;
  const leaseStart = leaseUntil - OUTBOUND_LEASE_MS;
  const listed = await deps.callLookup.callsBetween(stored.from, stored.to, leaseStart - CLOCK_SKEW_MS);
  for (const call of listed) {
    if ((call.createdAt ?? call.startedAt ?? 0) > leaseUntil + CLOCK_SKEW_MS) continue;
    const record = await deps.sessions.get(call.callSid);
    if (!record || record.session.outboundRequestId === stored.idempotencyKey) return call;
  }
  return undefined;
}

/** Asks Twilio for the call of a request this run holds, and records the answer. */
async function dial(deps: PlaceCallDeps, stored: OutboundRequest): Promise<PlaceCallOutcome> {
  const { settings } = deps;
  const key = stored.idempotencyKey;
  let callSid: string;
  try {
    ({ callSid } = await deps.callControl.placeCall({
      to: stored.to,
      from: settings.businessNumber,
      url: `${routeUrl(settings.publicUrl, WEBHOOK_ROUTES.OutboundTwiml)}?requestId=${encodeURIComponent(key)}`,
      statusCallback: routeUrl(settings.publicUrl, WEBHOOK_ROUTES.CallStatus),
      machineDetection: true,
    }));
  } catch (error) {
    const message = (error as Error).message || String(error);
    await deps.requests.markFailed(key, message);
    logger.error('Twilio refused the outbound call', { idempotencyKey: key, error: error as Error });
    return { kind: 'failed', idempotencyKey: key, message };
  }
  await deps.requests.markPlaced(key, callSid);
  await openSession(deps, stored, callSid);
  forCall(callSid).info('Outbound call placed', {
    to: maskPhone(stored.to),
    provider: stored.provider,
    idempotencyKey: key,
  });
  return { kind: 'placed', idempotencyKey: key, callSid };
}

async function openSession(deps: PlaceCallDeps, stored: OutboundRequest, callSid: string): Promise<void> {
  try {
    await deps.sessions.open(outboundSession(stored, callSid, hashStreamToken(newStreamToken())));
  } catch (error) {
    // Not fatal: `answerOutboundCall` opens the session from the request record when the callee answers.
    forCall(callSid).error('Outbound session not written at placement', { error: error as Error });
  }
}

/** A repeat is the same request when it asks for the same call: number, name, lead and reason. */
function sameRequest(stored: OutboundRequest, request: PlaceCallRequest): boolean {
  return (
    stored.to === request.to &&
    stored.name === request.name &&
    stored.leadId === request.leadId &&
    stored.reason === request.reason
  );
}

/** The session of an outbound call, from its request record. */
export function outboundSession(
  request: OutboundRequest,
  callSid: string,
  streamTokenHash: string,
): NewCallSession {
  return {
    callSid,
    direction: 'outbound',
    from: request.from,
    to: request.to,
    provider: request.provider,
    customer: request.customer,
    streamTokenHash,
    outboundReason: request.reason,
    outboundRequestId: request.idempotencyKey,
    createdAt: request.createdAt,
  };
}
