import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { DynamoFinalisationStore } from '../../services/adapters/dynamodb/finalisation-store.js';
import { DynamoOutboundRequestStore } from '../../services/adapters/dynamodb/outbound-request-store.js';
import { MemoryCallSessionStore } from '../../services/adapters/memory/call-session-store.js';
import { MemoryFinalisationStore } from '../../services/adapters/memory/finalisation-store.js';
import { MemoryOutboundRequestStore } from '../../services/adapters/memory/outbound-request-store.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { describeCallStoreContract } from './call-store.contract.js';

describeCallStoreContract('memory stores', async () => ({
  sessions: new MemoryCallSessionStore(),
  finalisations: new MemoryFinalisationStore(),
  outbound: new MemoryOutboundRequestStore(),
}));

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());

describeCallStoreContract('DynamoDB stores (dynalite)', async () => {
  const tableName = await dynamo.newTable();
  return {
    sessions: new DynamoCallSessionStore(dynamo.doc, { tableName }),
    finalisations: new DynamoFinalisationStore(dynamo.doc, { tableName }),
    outbound: new DynamoOutboundRequestStore(dynamo.doc, { tableName }),
  };
});
