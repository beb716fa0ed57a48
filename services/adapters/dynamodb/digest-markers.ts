import * as z from 'zod';
import { type DigestCounts, digestCountsSchema } from '../../core/after-call/digest-counts.js';
import type { DigestClaim, DigestMarkers } from '../../core/ports/call-store.js';
import type { EmailMessage } from '../../core/ports/mail.js';
import {
  DIGEST_MARKER_TTL_DAYS,
  digestKey,
  emailMessageSchema,
  expiresAtSeconds,
} from './after-call-items.js';
import { CallTableStore } from './call-table-store.js';
import { unlessRefused, wrote } from './conditional.js';

const frozenSchema = z.object({
  message: emailMessageSchema,
  counts: digestCountsSchema,
});

const markerSchema = z.object({
  status: z.enum(['claimed', 'failed', 'sent']),
  sentAt: z.number().optional(),
  frozenJson: z.string().optional(),
});

/**
 * One item per business day (`DIGEST#<day>`): `claimed` by the run that sends, `failed` when its
 * send failed (the next run may claim it at once), then `sent`. The conditional write is what
 * makes a retried schedule send nothing twice; the frozen message on the item is what makes a
 * retry send the same content under the same idempotency key.
 */
export class DynamoDigestMarkers extends CallTableStore implements DigestMarkers {
  async claim(day: string, now: number, staleAfterMs: number): Promise<DigestClaim> {
    const claimed = await unlessRefused(
      this.updateItem({
        Key: digestKey(day),
        UpdateExpression: 'SET #day = :day, #status = :claimed, claimedAt = :now, expiresAt = :expiresAt',
        ConditionExpression:
          'attribute_not_exists(pk) OR #status = :failed OR (#status = :claimed AND claimedAt < :stale)',
        ExpressionAttributeNames: { '#status': 'status', '#day': 'day' },
        ExpressionAttributeValues: {
          ':day': day,
          ':claimed': 'claimed',
          ':failed': 'failed',
          ':now': now,
          ':stale': now - staleAfterMs,
          ':expiresAt': expiresAtSeconds(now, DIGEST_MARKER_TTL_DAYS),
        },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return claimed ? { claimed: true, ...frozenOf(claimed.Attributes) } : { claimed: false };
  }

  async freeze(
    day: string,
    message: EmailMessage,
    counts: DigestCounts,
  ): Promise<{ message: EmailMessage; counts: DigestCounts }> {
    const { Attributes } = await this.updateItem({
      Key: digestKey(day),
      UpdateExpression: 'SET frozenJson = if_not_exists(frozenJson, :frozen)',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':frozen': JSON.stringify({ message, counts }) },
      ReturnValues: 'ALL_NEW',
    });
    const frozen = frozenOf(Attributes);
    if (!frozen.message || !frozen.counts) throw new Error(`Digest ${day}: frozen message not stored`);
    return { message: frozen.message, counts: frozen.counts };
  }

  async markSent(day: string, now: number): Promise<void> {
    await this.updateItem({
      Key: digestKey(day),
      UpdateExpression: 'SET #status = :sent, sentAt = :now',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':now': now },
    });
  }

  async sentAt(day: string): Promise<number | undefined> {
    const item = await this.readItem(digestKey(day));
    return item ? markerSchema.parse(item).sentAt : undefined;
  }

  async release(day: string): Promise<void> {
    await wrote(
      this.updateItem({
        Key: digestKey(day),
        UpdateExpression: 'SET #status = :failed',
        // Never undo a digest that went out.
        ConditionExpression: '#status = :claimed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':claimed': 'claimed', ':failed': 'failed' },
      }),
    );
  }
}

function frozenOf(item: Record<string, unknown> | undefined): Pick<DigestClaim, 'message' | 'counts'> {
  const json = item ? markerSchema.parse(item).frozenJson : undefined;
  if (!json) return {};
  const frozen = frozenSchema.parse(JSON.parse(json));
  return { message: frozen.message, counts: frozen.counts };
}
