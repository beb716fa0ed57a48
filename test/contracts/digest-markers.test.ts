import { DynamoDigestMarkers } from '../../services/adapters/dynamodb/digest-markers.js';
import { MemoryDigestMarkers } from '../../services/adapters/memory/digest-markers.js';
import { startTestDynamo, type TestDynamo } from '../support/dynamo.js';
import { describeDigestMarkersContract } from './digest-markers.contract.js';

describeDigestMarkersContract('MemoryDigestMarkers', async () => new MemoryDigestMarkers());

let dynamo: TestDynamo;
beforeAll(async () => {
  dynamo = await startTestDynamo();
});
afterAll(() => dynamo.close());

describeDigestMarkersContract('DynamoDigestMarkers (dynalite)', async () => {
  const tableName = await dynamo.newTable();
  return new DynamoDigestMarkers(dynamo.doc, { tableName });
});
