import { RemovalPolicy } from 'aws-cdk-lib';
import { AttributeType, Billing, type ITableV2, ProjectionType, TableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { UNFINALISED_INDEX, UNFINALISED_PROJECTION } from '../services/core/ports/call-table-schema.js';

/**
 * The call sessions, their transcript turns and tool calls (DESIGN §3 Call session): one table,
 * `pk`/`sk` strings, on demand, items expire through TTL on `expiresAt` (epoch seconds).
 * Retained when the stack is deleted; the construct id must never change (it is the table's logical id).
 * The sparse index `unfinalised` lists sessions not finalised yet, for the finalisation sweeper
 * (only session items carry its keys, and only until they are finalised).
 */
export class CallTable extends Construct {
  public readonly table: ITableV2;

  constructor(scope: Construct, id: string) {
    super(scope, id);
    this.table = new TableV2(this, 'Table', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billing: Billing.onDemand(),
      timeToLiveAttribute: 'expiresAt',
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Kept when the stack is deleted or the table replaced, but removed when a failed first create
      // rolls back (so the retry starts clean). No deletion protection: it would make that rollback
      // fail; the construct ids (test/infra/stateful-ids.test.ts) are what keep the table.
      removalPolicy: RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE,
      globalSecondaryIndexes: [
        {
          indexName: UNFINALISED_INDEX,
          partitionKey: { name: 'sweepPk', type: AttributeType.STRING },
          sortKey: { name: 'sweepSince', type: AttributeType.NUMBER },
          projectionType: ProjectionType.INCLUDE,
          nonKeyAttributes: [...UNFINALISED_PROJECTION],
        },
      ],
    });
  }
}
