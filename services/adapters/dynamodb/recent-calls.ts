import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import type { CallSession } from '../../core/call/call-session.js';
import { type Item, SESSION_SK, sessionFromItem } from './call-items.js';

/**
 * The calls in the table, newest first: for the local stack's calls page only. It scans the whole
 * table (fine for the embedded DynamoDB of one developer's machine, never used in AWS, where the
 * CRM is the list of calls and a scan would read every item).
 */
export async function recentCallSessions(
  doc: DynamoDBDocumentClient,
  tableName: string,
  limit: number,
): Promise<CallSession[]> {
  const sessions: CallSession[] = [];
  let startKey: Record<string, unknown> | undefined;
  do {
    const page = await doc.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: 'sk = :session',
        ExpressionAttributeValues: { ':session': SESSION_SK },
        ExclusiveStartKey: startKey,
      }),
    );
    for (const item of (page.Items ?? []) as Item[]) sessions.push(sessionFromItem(item));
    startKey = page.LastEvaluatedKey;
  } while (startKey);
  return sessions.sort((a, b) => b.createdAt - a.createdAt).slice(0, limit);
}
