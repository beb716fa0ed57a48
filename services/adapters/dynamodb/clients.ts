import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface DynamoClients {
  client: DynamoDBClient;
  doc: DynamoDBDocumentClient;
}

export interface DynamoClientOptions {
  /** A local DynamoDB (dynalite, DynamoDB Local). Unset: the regional endpoint of the environment. */
  endpoint?: string;
  /** Unset: the SDK's own resolution (AWS_REGION in Lambda and ECS); a local endpoint needs any. */
  region?: string;
}

/**
 * The low-level client (table management) and the DocumentClient (items) over one connection pool.
 * A local endpoint gets fixed placeholder credentials: local stand-ins accept any, and a developer
 * machine may have none, where the SDK's default chain would fail.
 */
export function createDynamoClients(options: DynamoClientOptions = {}): DynamoClients {
  const client = options.endpoint
    ? new DynamoDBClient({
        endpoint: options.endpoint,
        region: options.region ?? 'us-east-1',
        credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      })
    : new DynamoDBClient(options.region ? { region: options.region } : {});
  const doc = DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
  return { client, doc };
}
