import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageCounter } from '../../core/ports/call-store.js';
import { wrote } from './conditional.js';

/**
 * Tool usage in the call table: `pk=USAGE#<scope>, sk=OPERATIONS`, a string set of operation
 * digests. One conditional `ADD` per take, so two bridge tasks racing on the same caller can never
 * both pass the limit, and a repeated operation is let through without growing the set.
 */
export class DynamoUsageCounter implements UsageCounter {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async take(scope: string, operation: string, limit: number, expiresAt: number): Promise<boolean> {
    return wrote(
      this.doc.send(
        new UpdateCommand({
          TableName: this.options.tableName,
          Key: { pk: `USAGE#${scope}`, sk: 'OPERATIONS' },
          UpdateExpression: 'ADD operations :op SET expiresAt = if_not_exists(expiresAt, :expiresAt)',
          ConditionExpression:
            'attribute_not_exists(operations) OR size(operations) < :limit OR contains(operations, :one)',
          ExpressionAttributeValues: {
            ':op': new Set([operation]),
            ':one': operation,
            ':limit': limit,
            ':expiresAt': Math.floor(expiresAt / 1000),
          },
        }),
      ),
    );
  }
}
