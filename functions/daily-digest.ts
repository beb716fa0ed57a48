/**
 * The daily digest, invoked by its EventBridge schedule (no route, 08:00 local by default). It
 * emails the owner about the previous business day, once per day, with earlier calls finalised late
 * (the finalisation sweeper does the retries). A failed send throws after giving the day's marker
 * back, so the schedule's retry sends the same frozen message.
 *
 * The event may name the day to report (`{ "day": "YYYY-MM-DD" }`), e.g. to resend one by hand
 * with `aws lambda invoke`; anything else (the schedule's own event) means yesterday.
 */
import * as z from 'zod';
import {
  type DigestDeps,
  type DigestOutcome,
  runDailyDigest,
} from '../services/core/after-call/daily-digest.js';
import { logger, withMaskedErrors } from '../services/core/shared/logging.js';
import { afterCallDeps } from '../services/wiring/lambda-after-call.js';
import { lazily } from '../services/wiring/lambda-container.js';

const digestEvent = z.object({
  day: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .optional(),
});

export type DailyDigestHandler = (event?: unknown) => Promise<DigestOutcome>;

export function createDailyDigestHandler(deps: DigestDeps): DailyDigestHandler {
  return async (event) => {
    const parsed = digestEvent.safeParse(event ?? {});
    if (!parsed.success) logger.warn('Digest event not understood: reporting yesterday', { event });
    const day = parsed.success ? parsed.data.day : undefined;
    const outcome = await runDailyDigest(deps, day ? { day } : {});
    logger.info('Daily digest run', {
      day: outcome.day,
      outcome: outcome.kind,
      ...(outcome.kind === 'sent' ? { late: outcome.counts.late, stillPending: outcome.pending } : {}),
    });
    return outcome;
  };
}

const dailyDigestHandler = lazily(async () => createDailyDigestHandler((await afterCallDeps()).deps));

/** The Lambda entry point. */
export const handler = withMaskedErrors(
  async (event?: unknown): Promise<DigestOutcome> => (await dailyDigestHandler())(event),
);
