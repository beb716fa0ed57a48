/**
 * The integration webhook: after finalisation, one signed `call.completed` event to the owner's
 * other tools (a spreadsheet, Zapier, Make, another CRM). Stripe's scheme, so receivers can reuse its
 * verification recipe: `Bolt-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">`.
 * The event (id and body) is frozen when it is first made, so every attempt carries the same id;
 * retries follow `RETRY_DELAYS_MS` for 24 h, then the delivery is kept as failed (the digest says so).
 * Delivery state lives in the call table, so whatever runs `deliverDue` (the finalisation sweeper in
 * AWS, a timer locally) drives the retries. docs/integration-webhook.md is the receiver's page.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { CallRow } from '../ports/crm.js';
import type {
  DeliveryStatus,
  WebhookDelivery,
  WebhookDeliveryStore,
  WebhookPost,
} from '../ports/webhooks.js';
import { forCall, logger } from '../shared/logging.js';
import { type CallFlags, type CallLinks, callFlags } from './call-report.js';

export const SIGNATURE_HEADER = 'Bolt-Signature';
export const EVENT_TYPE = 'call.completed';
/** One attempt waits this long for the receiver's answer. */
export const ATTEMPT_TIMEOUT_MS = 5000;
/** How long after the first attempt deliveries are retried before the event is kept as failed. */
export const RETRY_WINDOW_MS = 24 * 3600 * 1000;
/**
 * The wait before each retry: the first within 15 s (a receiver restarting), then growing; the last
 * repeats until the window closes (about 16 attempts in 24 h).
 */
export const RETRY_DELAYS_MS: readonly number[] = [
  10_000,
  60_000,
  5 * 60_000,
  15 * 60_000,
  30 * 60_000,
  3600_000,
  2 * 3600_000,
  4 * 3600_000,
];

/** The event's `data`: what the owner's own email already says about the call, nothing more. */
export interface CallCompletedData {
  callSid: string;
  direction: 'inbound' | 'outbound';
  /** ISO 8601, UTC. */
  startedAt: string;
  durationSeconds: number | null;
  outcome: string;
  /** The engine that served the call (null: none did). */
  engine: string | null;
  summary: string | null;
  lead: { name: string; email: string | null; business: string | null; interest: string | null } | null;
  appointment: { startsAt: string; endsAt: string; purpose: string | null } | null;
  callbackDue: boolean;
  estimatedCost: { amount: number; currency: string } | null;
  /** A short-lived link to the recording, when the call was recorded and stored. */
  recordingUrl?: string;
}

export interface CallCompletedEvent {
  id: string;
  type: typeof EVENT_TYPE;
  /** Unix seconds. */
  created: number;
  data: CallCompletedData;
}

export function callCompletedEvent(
  input: { row: CallRow; links: CallLinks },
  now: number,
  id = `evt_${randomBytes(12).toString('hex')}`,
): CallCompletedEvent {
  const { row, links } = input;
  const flags: CallFlags = callFlags(row);
  return {
    id,
    type: EVENT_TYPE,
    created: Math.floor(now / 1000),
    data: {
      callSid: row.callSid,
      direction: row.direction,
      startedAt: new Date(row.startedAt).toISOString(),
      durationSeconds: row.durationSeconds ?? null,
      outcome: row.outcome,
      engine: row.servedBy ?? null,
      summary: row.summary ?? null,
      lead: links.lead
        ? {
            name: links.lead.name,
            email: links.lead.email ?? null,
            business: links.lead.business ?? null,
            interest: links.lead.interest ?? null,
          }
        : null,
      appointment: links.appointment
        ? {
            startsAt: new Date(links.appointment.start).toISOString(),
            endsAt: new Date(links.appointment.end).toISOString(),
            purpose: links.appointment.purpose ?? null,
          }
        : null,
      callbackDue: flags.callbackDue,
      estimatedCost: row.cost ? { amount: row.cost.total, currency: row.cost.currency } : null,
      ...(row.recording?.status === 'recorded' ? { recordingUrl: row.recording.url } : {}),
    },
  };
}

/** `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`. */
export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const v1 = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${v1}`;
}

/**
 * The receiver's check, as docs/integration-webhook.md gives it: a `v1` that matches the HMAC of the
 * raw body, and a `t` within `toleranceSeconds` of now (a replayed old request is refused).
 */
export function verifySignature(
  secret: string,
  body: string,
  header: string,
  nowSeconds: number,
  toleranceSeconds = 300,
): boolean {
  const parts = header.split(',').map((part) => part.split('='));
  const t = Number(parts.find(([key]) => key === 't')?.[1]);
  if (!Number.isInteger(t) || Math.abs(nowSeconds - t) > toleranceSeconds) return false;
  const expected = Buffer.from(createHmac('sha256', secret).update(`${t}.${body}`).digest('hex'));
  return parts
    .filter(([key]) => key === 'v1')
    .some(([, value]) => {
      const given = Buffer.from(value ?? '');
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
}

export interface IntegrationWebhookDeps {
  url: string;
  secret: string;
  deliveries: WebhookDeliveryStore;
  post: WebhookPost;
  now: () => number;
  /**
   * Asks for `attemptDelivery(callSid)` again at `dueAt` (AWS: a message on the retry queue, delayed).
   * Absent, or when it fails, whatever runs `deliverDue` (the sweeper, the local timer) finds it.
   */
  scheduleRetry?: (callSid: string, dueAt: number) => Promise<void>;
}

/** The wait after failed attempt number `attempts` (1-based). */
export function retryDelayMs(attempts: number): number {
  return RETRY_DELAYS_MS[Math.min(attempts, RETRY_DELAYS_MS.length) - 1] ?? RETRY_DELAYS_MS[0] ?? 10_000;
}

/** Freezes the call's event (idempotent: a second finalisation run keeps the first id and body). */
export async function enqueueCallCompleted(
  deps: IntegrationWebhookDeps,
  input: { row: CallRow; links: CallLinks },
): Promise<WebhookDelivery> {
  const event = callCompletedEvent(input, deps.now());
  return deps.deliveries.create({
    callSid: input.row.callSid,
    eventId: event.id,
    body: JSON.stringify(event),
    createdAt: deps.now(),
  });
}

/** How long a claimed attempt holds the delivery: longer than one attempt can take. */
const CLAIM_LEASE_MS = 60_000;

/**
 * One attempt at a call's delivery if it is due: POST, then record delivered (2xx), the next retry,
 * or failed (the window is over). Never throws: a store error is logged and the next run retries.
 */
export async function attemptDelivery(
  deps: IntegrationWebhookDeps,
  callSid: string,
): Promise<DeliveryStatus | undefined> {
  const log = forCall(callSid);
  try {
    const delivery = await deps.deliveries.claim(callSid, deps.now(), CLAIM_LEASE_MS);
    if (!delivery) return undefined;
    const t = Math.floor(deps.now() / 1000);
    let result: string;
    let ok = false;
    try {
      const answer = await deps.post(
        deps.url,
        delivery.body,
        {
          'content-type': 'application/json',
          'user-agent': 'BoltVoice-Webhook/1',
          [SIGNATURE_HEADER]: signatureHeader(deps.secret, delivery.body, t),
        },
        ATTEMPT_TIMEOUT_MS,
      );
      result = `HTTP ${answer.status}`;
      ok = answer.status >= 200 && answer.status < 300;
    } catch (error) {
      result = error instanceof Error && error.name === 'TimeoutError' ? 'timeout' : 'network error';
    }
    const at = deps.now();
    const attempts = delivery.attempts + 1;
    const firstAttemptAt = delivery.firstAttemptAt ?? at;
    const next = at + retryDelayMs(attempts);
    const status: DeliveryStatus = ok
      ? 'delivered'
      : next > firstAttemptAt + RETRY_WINDOW_MS
        ? 'failed'
        : 'pending';
    await deps.deliveries.recordAttempt(callSid, {
      at,
      result,
      status,
      nextAttemptAt: status === 'pending' ? next : undefined,
    });
    if (status === 'failed')
      log.error('Integration webhook event kept as failed after 24 h of retries', { attempts, result });
    else if (status === 'pending') {
      log.warn('Integration webhook attempt failed; retried later', { attempts, result });
      await scheduleRetry(deps, callSid, next);
    } else log.info('Integration webhook event delivered', { attempts });
    return status;
  } catch (error) {
    log.error('Integration webhook delivery could not be recorded; the next run retries', {
      error: error as Error,
    });
    return undefined;
  }
}

/** Asks for the retry at `dueAt`; a failure only leaves it to `deliverDue`, so it is logged, not thrown. */
async function scheduleRetry(deps: IntegrationWebhookDeps, callSid: string, dueAt: number): Promise<void> {
  if (!deps.scheduleRetry) return;
  try {
    await deps.scheduleRetry(callSid, dueAt);
  } catch (error) {
    forCall(callSid).error('Integration webhook retry could not be scheduled; the sweeper retries it', {
      error: error as Error,
    });
  }
}

/**
 * A scheduled retry came due (AWS: a message of the retry queue): one attempt if the delivery is due;
 * if it is pending but due later (a queue delays at most 15 min), asked for again then.
 */
export async function retryDelivery(
  deps: IntegrationWebhookDeps,
  callSid: string,
): Promise<DeliveryStatus | undefined> {
  const attempted = await attemptDelivery(deps, callSid);
  if (attempted !== undefined) return attempted;
  const delivery = await deps.deliveries.get(callSid);
  if (
    delivery?.status === 'pending' &&
    delivery.nextAttemptAt !== undefined &&
    delivery.nextAttemptAt > deps.now()
  ) {
    await scheduleRetry(deps, callSid, delivery.nextAttemptAt);
  }
  return undefined;
}

/** Every due delivery, one attempt each (the sweeper's run, the local timer's tick). */
export async function deliverDue(deps: IntegrationWebhookDeps, limit = 50): Promise<number> {
  let attempted = 0;
  for (const callSid of await deps.deliveries.due(deps.now(), limit)) {
    if ((await attemptDelivery(deps, callSid)) !== undefined) attempted++;
  }
  if (attempted > 0) logger.info('Integration webhook retries run', { attempted });
  return attempted;
}
