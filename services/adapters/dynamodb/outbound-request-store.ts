import * as z from 'zod';
import { OUTBOUND_LEASE_MS } from '../../core/outbound/place-call.js';
import type { OutboundRequest, OutboundRequestStore } from '../../core/ports/call-store.js';
import { AFTER_CALL_TTL_DAYS, compact, expiresAtSeconds, outboundRequestKey } from './after-call-items.js';
import { engineSchema, knownCustomerSchema } from './call-items.js';
import { CallTableStore } from './call-table-store.js';
import { wrote } from './conditional.js';

const requestSchema = z.object({
  idempotencyKey: z.string(),
  to: z.string(),
  from: z.string(),
  name: z.string().optional(),
  leadId: z.string().optional(),
  reason: z.string().optional(),
  provider: engineSchema,
  customer: knownCustomerSchema.optional(),
  status: z.enum(['placing', 'placed', 'failed']),
  callSid: z.string().optional(),
  error: z.string().optional(),
  createdAt: z.number(),
  leaseUntil: z.number().optional(),
});

/** Outbound requests by idempotency key (`OUTBOUND#<key>`): the conditional put is the duplicate guard. */
export class DynamoOutboundRequestStore extends CallTableStore implements OutboundRequestStore {
  async create(
    request: Omit<OutboundRequest, 'status' | 'leaseUntil'>,
  ): Promise<{ created: boolean; request: OutboundRequest }> {
    const stored: OutboundRequest = {
      ...request,
      status: 'placing',
      leaseUntil: request.createdAt + OUTBOUND_LEASE_MS,
    };
    const created = await wrote(
      this.putItem({
        Item: {
          ...outboundRequestKey(request.idempotencyKey),
          ...compact({ ...stored, customer: stored.customer ? compact(stored.customer) : undefined }),
          expiresAt: expiresAtSeconds(request.createdAt, AFTER_CALL_TTL_DAYS),
        },
        // A failed placement may be retried with the same key; anything else is a duplicate.
        ConditionExpression: 'attribute_not_exists(pk) OR #status = :failed',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': 'failed' },
      }),
    );
    if (created) return { created: true, request: stored };
    const existing = await this.get(request.idempotencyKey);
    if (!existing) throw new Error(`Outbound request ${request.idempotencyKey} vanished during create`);
    return { created: false, request: existing };
  }

  async get(idempotencyKey: string): Promise<OutboundRequest | undefined> {
    const item = await this.readItem(outboundRequestKey(idempotencyKey));
    return item ? (compact(requestSchema.parse(item)) as OutboundRequest) : undefined;
  }

  async takeOver(idempotencyKey: string, now: number, leaseUntil: number): Promise<boolean> {
    return wrote(
      this.updateItem({
        Key: outboundRequestKey(idempotencyKey),
        UpdateExpression: 'SET leaseUntil = :until',
        ConditionExpression: '#status = :placing AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':placing': 'placing', ':now': now, ':until': leaseUntil },
      }),
    );
  }

  async markPlaced(idempotencyKey: string, callSid: string): Promise<void> {
    await this.settle(idempotencyKey, 'SET #status = :placed, callSid = :callSid REMOVE #error, leaseUntil', {
      ':placed': 'placed',
      ':callSid': callSid,
    });
  }

  async markFailed(idempotencyKey: string, error: string): Promise<void> {
    await this.settle(idempotencyKey, 'SET #status = :failed, #error = :error', {
      ':failed': 'failed',
      ':error': error.slice(0, 1000),
    });
  }

  /** Records how an existing request's placement ended; a request that does not exist is an error. */
  private settle(idempotencyKey: string, update: string, values: Record<string, string>): Promise<unknown> {
    return this.updateItem({
      Key: outboundRequestKey(idempotencyKey),
      UpdateExpression: update,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
      ExpressionAttributeValues: values,
    });
  }
}
