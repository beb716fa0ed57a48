import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { DynamoFinalisationStore } from '../../services/adapters/dynamodb/finalisation-store.js';
import { DynamoOutboundRequestStore } from '../../services/adapters/dynamodb/outbound-request-store.js';
import {
  MemoryFinalisationStore,
  MemoryOutboundRequests,
  MemorySessions,
} from '../support/after-call-fakes.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { describeCallStoreContract } from './call-store.contract.js';

describeCallStoreContract('memory stores (the after-call tests’ fakes)', async () => ({
  sessions: new MemorySessions(),
  finalisations: new MemoryFinalisationStore(),
  outbound: new MemoryOutboundRequests(),
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
