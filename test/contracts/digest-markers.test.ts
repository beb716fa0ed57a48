import { DynamoDigestMarkers } from '../../services/adapters/dynamodb/digest-markers.js';
import { MemoryDigestMarkers } from '../../services/adapters/memory/digest-markers.js';
import { dynamoForFile } from '../support/dynamo.js';
import { describeDigestMarkersContract } from './digest-markers.contract.js';

describeDigestMarkersContract('MemoryDigestMarkers', async () => new MemoryDigestMarkers());

const dynamo = dynamoForFile();

describeDigestMarkersContract('DynamoDigestMarkers (dynalite)', async () => {
  const tableName = await dynamo.started().newTable();
  return new DynamoDigestMarkers(dynamo.started().doc, { tableName });
});
