import {
  CreateTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTableCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

import { UNFINALISED_INDEX, UNFINALISED_PROJECTION } from '../../core/ports/call-table-schema.js';

/**
 * Creates the call table when it is absent (the local stack and tests; in AWS the CDK stack owns
 * it). The layout matches the CDK table: `pk`/`sk` strings, on-demand, TTL on `expiresAt`, and the
 * sparse `unfinalised` index the finalisation sweeper queries.
 */
export async function ensureCallTable(client: DynamoDBClient, tableName: string): Promise<void> {
  if ((await tableStatus(client, tableName)) !== undefined) {
    await ensureUnfinalisedIndex(client, tableName);
    return;
  }
  try {
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'sk', AttributeType: 'S' },
          ...SWEEP_ATTRIBUTES,
        ],
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: [unfinalisedIndex()],
      }),
    );
  } catch (error) {
    // Another process created it between our look and our create: same outcome.
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await waitUntilActive(client, tableName);
  await enableTtl(client, tableName);
}

const SWEEP_ATTRIBUTES = [
  { AttributeName: 'sweepPk', AttributeType: 'S' as const },
  { AttributeName: 'sweepSince', AttributeType: 'N' as const },
];

/**
 * A table made before the sweeper (a persistent `DYNAMODB_ENDPOINT`) gets the `unfinalised` index
 * added. Sessions written before it carry no sweep keys, so they stay off the index (their
 * finalisation still comes from the status callback).
 */
async function ensureUnfinalisedIndex(client: DynamoDBClient, tableName: string): Promise<void> {
  const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
  if (Table?.GlobalSecondaryIndexes?.some((index) => index.IndexName === UNFINALISED_INDEX)) return;
  const create = (withCapacity: boolean) =>
    client.send(
      new UpdateTableCommand({
        TableName: tableName,
        AttributeDefinitions: SWEEP_ATTRIBUTES,
        GlobalSecondaryIndexUpdates: [
          {
            Create: {
              ...unfinalisedIndex(),
              ...(withCapacity
                ? { ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 5 } }
                : {}),
            },
          },
        ],
      }),
    );
  try {
    await create(Table?.BillingModeSummary?.BillingMode !== 'PAY_PER_REQUEST');
  } catch (error) {
    // dynalite implements the older API, which wants an index's capacity even on an on-demand table.
    if (!/provisionedThroughput/i.test((error as Error).message)) throw error;
    await create(true);
  }
  await waitUntilIndexActive(client, tableName);
}

/** A new index is CREATING (and backfilling) for a while after the table is ACTIVE again. */
async function waitUntilIndexActive(client: DynamoDBClient, tableName: string): Promise<void> {
  const deadline = Date.now() + 10 * 60_000;
  let delayMs = 10;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    const index = Table?.GlobalSecondaryIndexes?.find((i) => i.IndexName === UNFINALISED_INDEX);
    if (Table?.TableStatus === 'ACTIVE' && index?.IndexStatus === 'ACTIVE') return;
    if (Table?.TableStatus === 'ACTIVE' && !index) {
      // dynalite accepts the update but cannot add an index to an existing table.
      throw new Error(
        `Table ${tableName} did not get the ${UNFINALISED_INDEX} index; this DynamoDB cannot add one: delete the table and start again`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`Index ${UNFINALISED_INDEX} of ${tableName} did not become ACTIVE`);
    await new Promise((resolve) => setTimeout(resolve, delayMs));
    delayMs = Math.min(delayMs * 2, 2000);
  }
}

function unfinalisedIndex() {
  return {
    IndexName: UNFINALISED_INDEX,
    KeySchema: [
      { AttributeName: 'sweepPk', KeyType: 'HASH' as const },
      { AttributeName: 'sweepSince', KeyType: 'RANGE' as const },
    ],
    Projection: { ProjectionType: 'INCLUDE' as const, NonKeyAttributes: [...UNFINALISED_PROJECTION] },
  };
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
