import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DigestMarkers } from '../../core/after-call-ports.js';
import { DIGEST_MARKER_TTL_DAYS, digestKey, expiresAtSeconds } from './after-call-items.js';

export interface DynamoDigestMarkersOptions {
  tableName: string;
}

/**
 * One item per business day (`DIGEST#<day>`): `claimed` by the run that sends, then `sent`.
 * The conditional put is what makes a retried schedule send nothing twice.
 */
export class DynamoDigestMarkers implements DigestMarkers {
  private readonly tableName: string;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    options: DynamoDigestMarkersOptions,
  ) {
    this.tableName = options.tableName;
  }

  async claim(day: string, now: number, staleAfterMs: number): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            ...digestKey(day),
            day,
            status: 'claimed',
            claimedAt: now,
            expiresAt: expiresAtSeconds(now, DIGEST_MARKER_TTL_DAYS),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR (#status = :claimed AND claimedAt < :stale)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'claimed', ':stale': now - staleAfterMs },
        }),
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async markSent(day: string, now: number): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: digestKey(day),
        UpdateExpression: 'SET #status = :sent, sentAt = :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':sent': 'sent', ':now': now },
      }),
    );
  }

  async release(day: string): Promise<void> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: digestKey(day),
          // Never undo a digest that went out.
          ConditionExpression: '#status = :claimed',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':claimed': 'claimed' },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
