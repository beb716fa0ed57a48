import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { ensureCallTable } from '../../services/adapters/dynamodb/call-table.js';
import { createDynamoClients } from '../../services/adapters/dynamodb/clients.js';
import { startEmbeddedDynamo } from '../../services/local/embedded-dynamodb.js';
import { perSuite } from './per-suite.js';

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

/**
 * One dynalite for the whole file, started in `beforeAll` (it is the slow part) and closed in
 * `afterAll`. `started()` answers it inside tests and hooks.
 */
export function dynamoForFile(): { started(): TestDynamo } {
  return {
    started: perSuite('dynalite, started in beforeAll,', startTestDynamo, (dynamo) => dynamo.close()),
  };
}

export interface TablePerTest<S> {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** This test's table. */
  readonly table: string;
  /** What `build` made on this test's table. */
  readonly store: S;
}

/**
 * One dynalite for the whole file (started once: it is the slow part) and, before each test, a
 * fresh call table with `build` run on it, so no test sees another's items. Read the fields inside
 * tests and hooks: they are set once the hooks have run.
 */
export function tablePerTest<S>(
  build: (doc: DynamoDBDocumentClient, tableName: string) => S,
): TablePerTest<S> {
  const { started } = dynamoForFile();
  let current: { table: string; store: S } | undefined;
  beforeEach(async () => {
    const table = await started().newTable();
    current = { table, store: build(started().doc, table) };
  });
  const now = () => {
    if (!current) throw new Error('tablePerTest: read its fields inside a test or a hook');
    return current;
  };
  return {
    get client() {
      return started().client;
    },
    get doc() {
      return started().doc;
    },
    get table() {
      return now().table;
    },
    get store() {
      return now().store;
    },
  };
}
