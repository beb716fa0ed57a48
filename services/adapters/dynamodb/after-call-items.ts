/**
 * Where the after-call state lives in the single call table (beside the call items of
 * `call-items.ts`; only `pk`/`sk` keys, no index needed):
 *   pk=CALL#<callSid>           sk=FINAL       finalisation state of the call
 *                               sk=ANALYSIS    ElevenLabs post-call analysis
 *   pk=FINALISATION#PENDING     sk=<callSid>   one marker per call not yet finalised (the retry list)
 *   pk=DIGEST#<yyyy-mm-dd>      sk=DIGEST      the daily digest's once-per-day marker
 *   pk=OUTBOUND#<key>           sk=REQUEST     an outbound call request by its idempotency key
 * `expiresAt` (epoch seconds) is the table's TTL. A finalisation still pending has none: it must
 * never expire before it is finished.
 */

import * as z from 'zod';
import { PENDING_PK } from '../../core/ports/call-table-schema.js';

export type Item = Record<string, unknown>;

/** An email frozen at its first attempt (the owner email on FINAL, the digest on its marker). */
export const emailMessageSchema = z.object({
  to: z.string(),
  subject: z.string(),
  text: z.string(),
  html: z.string().optional(),
  idempotencyKey: z.string().optional(),
});

export interface ItemKey {
  pk: string;
  sk: string;
}

const DAY_SECONDS = 24 * 60 * 60;
/** Like the call's own items (`CALL_TTL_DAYS`): long enough for retries and a look afterwards. */
export const AFTER_CALL_TTL_DAYS = 30;
/** Digest markers outlive any plausible retry of a day's schedule. */
export const DIGEST_MARKER_TTL_DAYS = 90;

export function finalKey(callSid: string): ItemKey {
  return { pk: `CALL#${callSid}`, sk: 'FINAL' };
}

export function pendingMarkerKey(callSid: string): ItemKey {
  return { pk: PENDING_PK, sk: callSid };
}

export function analysisKey(callSid: string): ItemKey {
  return { pk: `CALL#${callSid}`, sk: 'ANALYSIS' };
}

export function digestKey(day: string): ItemKey {
  return { pk: `DIGEST#${day}`, sk: 'DIGEST' };
}

export function outboundRequestKey(idempotencyKey: string): ItemKey {
  return { pk: `OUTBOUND#${idempotencyKey}`, sk: 'REQUEST' };
}

/** DynamoDB's TTL attribute holds epoch SECONDS; milliseconds would read as a date far in the future. */
export function expiresAtSeconds(nowMs: number, days: number): number {
  return Math.floor(nowMs / 1000) + days * DAY_SECONDS;
}

/** Drops undefined fields: DynamoDB rejects them and an absent attribute says the same thing. */
export function compact<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
