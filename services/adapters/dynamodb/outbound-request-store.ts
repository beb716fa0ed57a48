import { type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import { OUTBOUND_LEASE_MS } from '../../core/outbound/place-call.js';
import type { OutboundRequest, OutboundRequestStore } from '../../core/ports/call-store.js';
import { AFTER_CALL_TTL_DAYS, compact, expiresAtSeconds, outboundRequestKey } from './after-call-items.js';
import { engineSchema, knownCustomerSchema } from './call-items.js';
import { wrote } from './conditional.js';

export interface DynamoOutboundRequestStoreOptions {
  tableName: string;
}

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
export class DynamoOutboundRequestStore implements OutboundRequestStore {
  private readonly tableName: string;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoOutboundRequestStoreOptions,
  ) {
    this.tableName = options.tableName;
  }

  async create(
    request: Omit<OutboundRequest, 'status' | 'leaseUntil'>,
  ): Promise<{ created: boolean; request: OutboundRequest }> {
    const stored: OutboundRequest = {
      ...request,
      status: 'placing',
      leaseUntil: request.createdAt + OUTBOUND_LEASE_MS,
    };
    const created = await wrote(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
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
      ),
    );
    if (created) return { created: true, request: stored };
    const existing = await this.get(request.idempotencyKey);
    if (!existing) throw new Error(`Outbound request ${request.idempotencyKey} vanished during create`);
    return { created: false, request: existing };
  }

  async get(idempotencyKey: string): Promise<OutboundRequest | undefined> {
    const { Item: item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: outboundRequestKey(idempotencyKey),
        ConsistentRead: true,
      }),
    );
    return item ? (compact(requestSchema.parse(item)) as OutboundRequest) : undefined;
  }

  async takeOver(idempotencyKey: string, now: number, leaseUntil: number): Promise<boolean> {
    return wrote(
      this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: outboundRequestKey(idempotencyKey),
          UpdateExpression: 'SET leaseUntil = :until',
          ConditionExpression:
            '#status = :placing AND (attribute_not_exists(leaseUntil) OR leaseUntil < :now)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':placing': 'placing', ':now': now, ':until': leaseUntil },
        }),
      ),
    );
  }

  async markPlaced(idempotencyKey: string, callSid: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: outboundRequestKey(idempotencyKey),
        UpdateExpression: 'SET #status = :placed, callSid = :callSid REMOVE #error, leaseUntil',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: { ':placed': 'placed', ':callSid': callSid },
      }),
    );
  }

  async markFailed(idempotencyKey: string, error: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: outboundRequestKey(idempotencyKey),
        UpdateExpression: 'SET #status = :failed, #error = :error',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: { '#status': 'status', '#error': 'error' },
        ExpressionAttributeValues: { ':failed': 'failed', ':error': error.slice(0, 1000) },
      }),
    );
  }
}
