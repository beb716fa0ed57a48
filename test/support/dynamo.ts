import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureCallTable } from '../../services/adapters/dynamodb/call-table.js';
import { createDynamoClients } from '../../services/adapters/dynamodb/clients.js';
import { startEmbeddedDynamo } from '../../services/local/embedded-dynamodb.js';

export interface TestDynamo {
  endpoint: string;
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
  /** A fresh call table per call, so tests in one file do not see each other's items. */
  newTable(): Promise<string>;
  close(): Promise<void>;
}

/** An in-process dynalite with clients pointed at it. Call `close` in `afterAll`. */
export async function startTestDynamo(): Promise<TestDynamo> {
  const embedded = await startEmbeddedDynamo();
  const { client, doc } = createDynamoClients({ endpoint: embedded.endpoint });
  let tables = 0;
  return {
    endpoint: embedded.endpoint,
    client,
    doc,
    async newTable() {
      tables += 1;
      const name = `calls-test-${tables}`;
      await ensureCallTable(client, name);
      return name;
    },
    async close() {
      client.destroy();
      await embedded.close();
    },
  };
}
