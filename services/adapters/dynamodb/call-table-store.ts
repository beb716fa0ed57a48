import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface CallTableStoreOptions {
  tableName: string;
  /** The store's clock (epoch ms): item lifetimes, stale markers. */
  now?: () => number;
}

/** What a store over the call table holds: the document client, the table's name and a clock. */
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
}
