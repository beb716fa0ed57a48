import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import * as z from 'zod';
import type { SweepWatermark } from '../../core/ports/call-store.js';

/** One item of the call table; no TTL: it must outlive any outage it covers. */
const KEY = { pk: 'SWEEP', sk: 'UNRECORDED-CALLS' } as const;

const itemSchema = z.object({ checkedFrom: z.number() });

/** The sweeper's look-back mark for calls Twilio had and we never recorded. */
export class DynamoSweepWatermark implements SweepWatermark {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly options: { tableName: string },
  ) {}

  async get(): Promise<number | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.options.tableName, Key: KEY, ConsistentRead: true }),
    );
    return Item ? itemSchema.parse(Item).checkedFrom : undefined;
  }

  async set(at: number): Promise<void> {
    await this.doc.send(
      new PutCommand({ TableName: this.options.tableName, Item: { ...KEY, checkedFrom: at } }),
    );
  }
}
