import * as z from 'zod';
import type { AttemptRecord, WebhookDelivery, WebhookDeliveryStore } from '../../core/ports/webhooks.js';
import { callPk, expiresAtSeconds } from './call-items.js';
import { CallTableStore } from './call-table-store.js';
import { unlessRefused } from './conditional.js';
import { queryItems } from './query-items.js';

/**
 * Integration webhook deliveries in the call table:
 *   pk=CALL#<callSid>  sk=WEBHOOK      the event (id and body frozen) and how its delivery went
 *   pk=WEBHOOK#DUE     sk=<callSid>    the retry list: `dueAt` while pending, `failedAt` once failed
 * No item is ever deleted (no function holds DeleteItem outside the finalisation retry list): a
 * settled entry of the retry list loses `dueAt` and gets a short TTL instead.
 */
const DELIVERY_SK = 'WEBHOOK';
export const DUE_PK = 'WEBHOOK#DUE';
/** A delivered entry leaves the retry list within a day; a failed one stays for the digest a week. */
const SETTLED_TTL_MS = 24 * 3600 * 1000;
const FAILED_TTL_MS = 8 * 24 * 3600 * 1000;

const deliverySchema = z.object({
  callSid: z.string(),
  eventId: z.string(),
  body: z.string(),
  status: z.enum(['pending', 'delivered', 'failed']),
  attempts: z.number(),
  createdAt: z.number(),
  firstAttemptAt: z.number().optional(),
  lastAttemptAt: z.number().optional(),
  lastResult: z.string().optional(),
  nextAttemptAt: z.number().optional(),
});

const deliveryKey = (callSid: string) => ({ pk: callPk(callSid), sk: DELIVERY_SK });
const dueKey = (callSid: string) => ({ pk: DUE_PK, sk: callSid });

function fromItem(item: Record<string, unknown>): WebhookDelivery {
  const parsed = deliverySchema.parse(item);
  return Object.fromEntries(
    Object.entries(parsed).filter(([, v]) => v !== undefined),
  ) as unknown as WebhookDelivery;
}

export class DynamoWebhookDeliveries extends CallTableStore implements WebhookDeliveryStore {
  async create(
    delivery: Pick<WebhookDelivery, 'callSid' | 'eventId' | 'body' | 'createdAt'>,
  ): Promise<WebhookDelivery> {
    const item: WebhookDelivery = {
      ...delivery,
      status: 'pending',
      attempts: 0,
      nextAttemptAt: delivery.createdAt,
    };
    const created = await unlessRefused(
      this.putItem({
        Item: {
          ...deliveryKey(delivery.callSid),
          ...item,
          expiresAt: expiresAtSeconds(delivery.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    const stored = created !== undefined ? item : await this.get(delivery.callSid);
    if (!stored) throw new Error('webhook delivery vanished after a conflicting create');
    // After the delivery (a retry of this step rewrites a missing entry, never a settled one).
    if (stored.status === 'pending') {
      await unlessRefused(
        this.putItem({
          Item: {
            ...dueKey(delivery.callSid),
            callSid: delivery.callSid,
            dueAt: stored.nextAttemptAt ?? delivery.createdAt,
            expiresAt: expiresAtSeconds(delivery.createdAt),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    }
    return stored;
  }

  async get(callSid: string): Promise<WebhookDelivery | undefined> {
    const item = await this.readItem(deliveryKey(callSid));
    return item ? fromItem(item) : undefined;
  }

  async claim(callSid: string, now: number, leaseMs: number): Promise<WebhookDelivery | undefined> {
    const result = await unlessRefused(
      this.updateItem({
        Key: deliveryKey(callSid),
        UpdateExpression: 'SET nextAttemptAt = :lease',
        ConditionExpression: '#status = :pending AND nextAttemptAt <= :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':pending': 'pending', ':now': now, ':lease': now + leaseMs },
        ReturnValues: 'ALL_NEW',
      }),
    );
    return result?.Attributes ? fromItem(result.Attributes) : undefined;
  }

  async recordAttempt(callSid: string, attempt: AttemptRecord): Promise<void> {
    const pending = attempt.status === 'pending' && attempt.nextAttemptAt !== undefined;
    await this.updateItem({
      Key: deliveryKey(callSid),
      UpdateExpression: `SET #status = :status, lastAttemptAt = :at, lastResult = :result, firstAttemptAt = if_not_exists(firstAttemptAt, :at)${
        pending ? ', nextAttemptAt = :next' : ''
      } ADD attempts :one${pending ? '' : ' REMOVE nextAttemptAt'}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': attempt.status,
        ':at': attempt.at,
        ':result': attempt.result,
        ':one': 1,
        ...(pending ? { ':next': attempt.nextAttemptAt } : {}),
      },
    });
    const due = pending
      ? { update: 'SET dueAt = :next', values: { ':next': attempt.nextAttemptAt } }
      : attempt.status === 'failed'
        ? {
            update: 'SET failedAt = :at, expiresAt = :ttl REMOVE dueAt',
            values: { ':at': attempt.at, ':ttl': Math.floor((attempt.at + FAILED_TTL_MS) / 1000) },
          }
        : {
            update: 'SET expiresAt = :ttl REMOVE dueAt',
            values: { ':ttl': Math.floor((attempt.at + SETTLED_TTL_MS) / 1000) },
          };
    await this.updateItem({
      Key: dueKey(callSid),
      UpdateExpression: due.update,
      ExpressionAttributeValues: due.values,
    });
  }

  async due(now: number, limit: number): Promise<string[]> {
    const found = await this.retryList('dueAt <= :now', { ':now': now });
    return found
      .map((item) => ({ callSid: String(item.callSid), dueAt: Number(item.dueAt) }))
      .sort((a, b) => a.dueAt - b.dueAt)
      .slice(0, limit)
      .map((entry) => entry.callSid);
  }

  async failedBetween(
    from: number,
    to: number,
  ): Promise<Array<{ callSid: string; eventId: string; failedAt: number }>> {
    const found = await this.retryList('failedAt BETWEEN :from AND :to', { ':from': from, ':to': to });
    const failed = await Promise.all(
      found.map(async (item) => ({
        callSid: String(item.callSid),
        eventId: (await this.get(String(item.callSid)))?.eventId ?? '',
        failedAt: Number(item.failedAt),
      })),
    );
    return failed.sort((a, b) => a.failedAt - b.failedAt);
  }

  /** The entries of the retry list that pass `filter`, every page (it holds about a day's calls and a week's failures). */
  private async retryList(
    filter: string,
    values: Record<string, number>,
  ): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    for await (const item of queryItems(this.doc, {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk',
      FilterExpression: filter,
      ExpressionAttributeValues: { ':pk': DUE_PK, ...values },
    }))
      items.push(item);
    return items;
  }
}
