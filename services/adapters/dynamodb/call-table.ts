import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

import { UNFINALISED_INDEX, UNFINALISED_PROJECTION } from './call-items.js';

/**
 * Creates the call table when it is absent (the local stack and tests; in AWS the CDK stack owns
 * it). The layout matches the CDK table: `pk`/`sk` strings, on-demand, TTL on `expiresAt`, and the
 * sparse `unfinalised` index the finalisation sweeper queries.
 */
export async function ensureCallTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if ((await tableStatus(client, tableName)) !== undefined) return;
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          { AttributeName: 'sweepPk', AttributeType: 'S' },
          { AttributeName: 'sweepSince', AttributeType: 'N' },
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [
          {
            IndexName: UNFINALISED_INDEX,
            KeySchema: [
              { AttributeName: 'sweepPk', KeyType: 'HASH' },
              { AttributeName: 'sweepSince', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...UNFINALISED_PROJECTION] },
          },
        ],
      }),
    );
  } catch (error) {
    // Another process created it between our look and our create: same outcome.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(client, tableName);
  await enableTtl(client, tableName);
}

async function tableStatus(client: DynamoDBClient, tableName: string): Promise<string | undefined> {
  try {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    return Table?.TableStatus ?? 'UNKNOWN';
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

/** dynalite is ACTIVE at once; DynamoDB Local or a real table takes a moment. */
async function waitUntilActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  let delayMs = 10;
  while ((await tableStatus(client, tableName)) !== 'ACTIVE') {
    if (Date.now() > deadline) throw new Error(`Table ${tableName} did not become ACTIVE within 60 s`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 1000);
  }
}

async function enableTtl(client: DynamoDBClient, tableName: string): Promise<void> {
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: tableName,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
  } catch (error) {
    // dynalite has no TTL API (UnknownOperationException); it never expires items anyway.
    if ((error as { name?: string }).name === 'UnknownOperationException') return;
    throw error;
  }
}
