import * as path from 'node:path';
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, LoggingFormat, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import type { Construct } from 'constructs';
import { PENDING_PK } from '../services/core/ports/call-table-schema.js';
import { METRICS_NAMESPACE } from '../services/core/shared/metric-names.js';

/** The item-level DynamoDB actions a function may use on the call table (never Scan or batch writes). */
export type TableAction = 'GetItem' | 'Query' | 'PutItem' | 'UpdateItem';

export interface TableAccess {
  readonly actions: readonly TableAction[];
  /** Removes finished entries of the finalisation retry list (finalisation, its sweeper, the digest). */
  readonly deletesPendingMarkers?: boolean;
}

/** The repository root: entries and the lock file are resolved from here, whatever the cwd. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

export interface HouseFunctionProps {
  /** Entry file relative to the repository root, e.g. `functions/inbound-call.ts`. */
  readonly entry: string;
  readonly description: string;
  readonly serviceName: string;
  readonly logRetention: RetentionDays;
  readonly memorySize?: number;
  readonly timeout?: Duration;
  /** Fixed physical name: only for a function that must know its own ARN before it exists. */
  readonly functionName?: string;
}

/**
 * The house default for every Lambda: Node 24 on ARM64, bundled by the local esbuild (no Docker),
 * minified CJS with source maps (mappings only), the runtime's AWS SDK, JSON logs in its own log group with
 * retention, and the Powertools names. The bind helpers add a grant and the environment variable
 * that names the resource together, so a function never knows a name it may not use (or the reverse).
 */
export class HouseFunction extends NodejsFunction {
  private readonly fixedName?: string;

  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // An own role with write access to its own log group only, instead of the managed
    // AWSLambdaBasicExecutionRole (which may write to any log group).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Bolt Voice ${props.entry}`,
    });
    logGroup.grantWrite(role);
    super(scope, id, {
      role,
      entry: path.join(PROJECT_ROOT, props.entry),
      handler: 'handler',
      functionName: props.functionName,
      description: props.description,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(10),
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      bundling: {
        target: 'node24',
        format: OutputFormat.CJS,
        minify: true,
        sourceMap: true,
        // Stack traces need only the mappings; the sources' text would be parsed and held by every
        // cold start's --enable-source-maps for nothing.
        sourcesContent: false,
        // The runtime ships the v3 SDK; bundling our own would cost cold-start time and size.
        externalModules: ['@aws-sdk/*'],
        forceDockerBundling: false,
      },
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
    });
    this.fixedName = props.functionName;
  }

  /**
   * The ARN built from the fixed name, for the function's own environment: `functionArn` there would
   * make the function depend on itself.
   */
  knownArn(): string {
    if (!this.fixedName) throw new Error(`${this.node.path} needs a fixed functionName to know its own ARN`);
    return Stack.of(this).formatArn({
      service: 'lambda',
      resource: 'function',
      resourceName: this.fixedName,
      arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    });
  }

  /**
   * Exactly these DynamoDB actions on the call table and its indexes, and CALL_TABLE_NAME.
   * `DeleteItem` is never granted on the whole table: `deletesPendingMarkers` allows it only on the
   * partition of the finalisation retry list (`FINALISATION#PENDING`), the one item kind any
   * function deletes.
   */
  bindTable(table: ITableV2, access: TableAccess): this {
    this.addEnvironment('CALL_TABLE_NAME', table.tableName);
    this.addToRolePolicy(
      new PolicyStatement({
        actions: access.actions.map((a) => `dynamodb:${a}`),
        resources: [table.tableArn, `${table.tableArn}/index/*`],
      }),
    );
    if (access.deletesPendingMarkers) {
      this.addToRolePolicy(
        new PolicyStatement({
          actions: ['dynamodb:DeleteItem'],
          resources: [table.tableArn],
          conditions: { 'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': [PENDING_PK] } },
        }),
      );
    }
    return this;
  }

  /**
   * Read access to the secret, and SECRETS_ARN (the function merges its JSON under the environment).
   * The name, not `secretArn`: an imported-by-name secret has only a partial ARN.
   */
  bindSecret(secret: ISecret, secretName: string): this {
    this.addEnvironment('SECRETS_ARN', secretName);
    secret.grantRead(this);
    return this;
  }

  /** Read access to the provider flag, and VOICE_PROVIDER_PARAMETER. */
  bindParameter(parameter: IStringParameter): this {
    this.addEnvironment('VOICE_PROVIDER_PARAMETER', parameter.parameterName);
    parameter.grantRead(this);
    return this;
  }

  /** Plain, non-secret settings. */
  addEnvironments(env: Readonly<Record<string, string>>): this {
    for (const [key, value] of Object.entries(env)) this.addEnvironment(key, value);
    return this;
  }
}
