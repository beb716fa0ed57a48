import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  type PutCommandInput,
  type PutCommandOutput,
  UpdateCommand,
  type UpdateCommandInput,
  type UpdateCommandOutput,
} from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from './after-call-items.js';

export interface CallTableStoreOptions {
  tableName: string;
  /** The store's clock (epoch ms): item lifetimes, stale markers. */
  now?: () => number;
}

/**
 * What a store over the call table holds: the document client, the table's name and a clock, and
 * the item commands every store sends, with the table's name filled in.
 */
export abstract class CallTableStore {
  protected readonly tableName: string;
  protected readonly now: () => number;

  constructor(
    protected readonly doc: DynamoDBDocumentClient,
    options: CallTableStoreOptions,
  ) {
    this.tableName = options.tableName;
    this.now = options.now ?? Date.now;
  }

  protected putItem(input: Omit<PutCommandInput, 'TableName'>): Promise<PutCommandOutput> {
    return this.doc.send(new PutCommand({ TableName: this.tableName, ...input }));
  }

  protected updateItem(input: Omit<UpdateCommandInput, 'TableName'>): Promise<UpdateCommandOutput> {
    return this.doc.send(new UpdateCommand({ TableName: this.tableName, ...input }));
  }

  /** The item at `key`, read strongly consistent: a store reads back what it has just written. */
  protected async readItem(key: ItemKey): Promise<Record<string, unknown> | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return Item;
  }
}
