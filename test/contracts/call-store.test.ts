import { DynamoCallSessionStore } from '../../services/adapters/dynamodb/call-session-store.js';
import { DynamoFinalisationStore } from '../../services/adapters/dynamodb/finalisation-store.js';
import { DynamoOutboundRequestStore } from '../../services/adapters/dynamodb/outbound-request-store.js';
import { MemoryCallSessionStore } from '../../services/adapters/memory/call-session-store.js';
import { MemoryFinalisationStore } from '../../services/adapters/memory/finalisation-store.js';
import { MemoryOutboundRequestStore } from '../../services/adapters/memory/outbound-request-store.js';
import { dynamoForFile } from '../support/dynamo.js';
import { describeCallStoreContract } from './call-store.contract.js';

describeCallStoreContract('memory stores', async () => ({
  sessions: new MemoryCallSessionStore(),
  finalisations: new MemoryFinalisationStore(),
  outbound: new MemoryOutboundRequestStore(),
}));

const dynamo = dynamoForFile();

describeCallStoreContract('DynamoDB stores (dynalite)', async () => {
  const { doc, newTable } = dynamo.started();
  const tableName = await newTable();
  return {
    sessions: new DynamoCallSessionStore(doc, { tableName }),
    finalisations: new DynamoFinalisationStore(doc, { tableName }),
    outbound: new DynamoOutboundRequestStore(doc, { tableName }),
  };
});
