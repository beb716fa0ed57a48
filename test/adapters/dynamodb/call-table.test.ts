import { DescribeTableCommand, DynamoDBClient, UpdateTableCommand } from '@aws-sdk/client-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { ensureCallTable } from '../../../services/adapters/dynamodb/call-table.js';
import { startTestDynamo, type TestDynamo } from '../../support/dynamo.js';

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(async () => {
  await dynamo.close();
});

describe('ensureCallTable', () => {
  test('creates the table with the sparse unfinalised index', async () => {
    const name = await dynamo.newTable();
    const { Table } = await dynamo.client.send(new DescribeTableCommand({ TableName: name }));
    expect(Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['unfinalised']);
  });

  // dynalite cannot add an index to an existing table (its UpdateTable only changes capacity), so
  // the upgrade of a persistent DYNAMODB_ENDPOINT table (DynamoDB Local) is checked on the SDK calls.
  test('adds the index to a table made before the sweeper, and waits until it is ACTIVE', async () => {
    const ddb = mockClient(DynamoDBClient);
    const table = {
      TableName: 'old',
      TableStatus: 'ACTIVE' as const,
      BillingModeSummary: { BillingMode: 'PAY_PER_REQUEST' as const },
    };
    ddb
      .on(DescribeTableCommand)
      .resolvesOnce({ Table: table })
      .resolvesOnce({ Table: table })
      .resolvesOnce({
        Table: { ...table, GlobalSecondaryIndexes: [{ IndexName: 'unfinalised', IndexStatus: 'CREATING' }] },
      })
      .resolves({
        Table: { ...table, GlobalSecondaryIndexes: [{ IndexName: 'unfinalised', IndexStatus: 'ACTIVE' }] },
      });
    ddb.on(UpdateTableCommand).resolves({});
    await ensureCallTable(new DynamoDBClient({ region: 'us-east-1' }), 'old');
    const updates = ddb.commandCalls(UpdateTableCommand);
    expect(updates).toHaveLength(1);
    expect(updates[0]?.args[0].input).toEqual({
      TableName: 'old',
      AttributeDefinitions: [
        { AttributeName: 'sweepPk', AttributeType: 'S' },
        { AttributeName: 'sweepSince', AttributeType: 'N' },
      ],
      GlobalSecondaryIndexUpdates: [
        {
          Create: {
            IndexName: 'unfinalised',
            KeySchema: [
              { AttributeName: 'sweepPk', KeyType: 'HASH' },
              { AttributeName: 'sweepSince', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['callSid', 'status'] },
          },
        },
      ],
    });
    ddb.restore();
  });
});
