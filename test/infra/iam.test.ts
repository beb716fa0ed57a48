import { FUNCTION_TABLE, type FunctionSpec } from '../../lib/lambda-functions.js';
import {
  actionsOf,
  logicalId,
  PROVIDER_PARAMETER_TAIL,
  resourcesOfType,
  SECRET_ARN_TAIL,
  statementsOfRole,
  template,
} from './fixture.js';

/** What no function needs: whole-table reads and batch or unconditioned deletes. */
const NEVER_GRANTED = ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem', 'dynamodb:*'];

function functionProperties(id: string): Record<string, unknown> {
  const [[, fn]] = resourcesOfType('AWS::Lambda::Function').filter(([lid]) =>
    lid.startsWith(`Functions${id}`),
  ) as [[string, Record<string, unknown>]];
  return fn;
}

function functionEnvironment(id: string): Record<string, unknown> {
  return (functionProperties(id).Environment as { Variables: Record<string, unknown> }).Variables;
}

function roleOfFunction(id: string): string {
  const [[, fn]] = resourcesOfType('AWS::Lambda::Function').filter(([lid]) =>
    lid.startsWith(`Functions${id}`),
  ) as [[string, Record<string, unknown>]];
  return (fn.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
}

describe('function roles: grants scoped to the resources, each with its env var', () => {
  const table = () => ({ 'Fn::GetAtt': [logicalId('AWS::DynamoDB::GlobalTable', 'CallTable'), 'Arn'] });

  it.each((FUNCTION_TABLE as readonly FunctionSpec[]).map((s) => [s.id, s] as const))('%s', (id, spec) => {
    const statements = statementsOfRole(roleOfFunction(id));
    const byService = (prefix: string) =>
      statements.filter((s) => actionsOf(s).some((a) => a.startsWith(prefix)));

    // Its own log group only (no AWSLambdaBasicExecutionRole).
    const [logs] = byService('logs:');
    expect(logs?.Resource).toEqual({
      'Fn::GetAtt': [expect.stringMatching(new RegExp(`^Functions${id}Logs`)), 'Arn'],
    });
    expect(
      resourcesOfType('AWS::IAM::Role').find(([rid]) => rid === roleOfFunction(id))?.[1].ManagedPolicyArns,
    ).toBeUndefined();

    const dynamo = byService('dynamodb:');
    const env = functionEnvironment(id);
    if (!spec.table) {
      // The fallback URL: nothing of the call table, not even its name.
      expect(dynamo).toEqual([]);
      expect(env.CALL_TABLE_NAME).toBeUndefined();
    } else {
      expect(env.CALL_TABLE_NAME).toEqual({ Ref: logicalId('AWS::DynamoDB::GlobalTable', 'CallTable') });
      const [items, ...deletes] = dynamo;
      // Exactly the actions its row lists, on the table and its own indexes (the sweeper's sparse index).
      expect(items?.Resource).toEqual([table(), { 'Fn::Join': ['', [table(), '/index/*']] }]);
      expect(actionsOf(items ?? {}).sort()).toEqual(spec.table.actions.map((a) => `dynamodb:${a}`).sort());
      // DeleteItem only on the finalisation retry list's partition, and only where the row says so.
      expect(deletes).toEqual(
        spec.table.deletesPendingMarkers
          ? [
              {
                Effect: 'Allow',
                Action: 'dynamodb:DeleteItem',
                Resource: table(),
                Condition: {
                  'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['FINALISATION#PENDING'] },
                },
              },
            ]
          : [],
      );
    }
    for (const action of dynamo.flatMap(actionsOf)) expect(NEVER_GRANTED).not.toContain(action);

    const secretGrants = byService('secretsmanager:');
    expect(secretGrants).toHaveLength(1);
    expect(JSON.stringify(secretGrants[0]?.Resource)).toContain(SECRET_ARN_TAIL);

    const ssm = byService('ssm:');
    expect(ssm).toHaveLength(spec.readsProviderFlag ? 1 : 0);
    if (spec.readsProviderFlag) {
      expect(actionsOf(ssm[0] ?? {})).not.toContain('ssm:PutParameter');
      expect(JSON.stringify(ssm[0]?.Resource)).toContain(PROVIDER_PARAMETER_TAIL);
    }

    expect(byService('scheduler:').length > 0).toBe(spec.createsCallbacks === true);
    expect(byService('iam:').length > 0).toBe(spec.createsCallbacks === true);
    for (const s of statements) expect(s.Resource).not.toBe('*');
  });

  it('lets only the callback function create schedules, in its own group, and pass only the callback role to the scheduler', () => {
    const statements = statementsOfRole(roleOfFunction('PlaceCall'));
    const scheduler = statements.find((s) => actionsOf(s).includes('scheduler:CreateSchedule'));
    expect(actionsOf(scheduler ?? {}).sort()).toEqual([
      'scheduler:CreateSchedule',
      'scheduler:DeleteSchedule',
      'scheduler:GetSchedule',
    ]);
    const groupName = resourcesOfType('AWS::Scheduler::ScheduleGroup')[0]?.[1].Name;
    expect(JSON.stringify(scheduler?.Resource)).toMatch(
      new RegExp(`:schedule/${String(groupName)}/\\*"\\]\\]}$`),
    );
    const passRole = statements.find((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole).toMatchObject({
      Resource: { 'Fn::GetAtt': [logicalId('AWS::IAM::Role', 'SchedulesCallbackRole'), 'Arn'] },
      Condition: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
    });
  });

  it('gives the callback function the names it needs to create one-time schedules invoking itself', () => {
    const [[, fn]] = resourcesOfType('AWS::Lambda::Function').filter(([lid]) =>
      lid.startsWith('FunctionsPlaceCall'),
    ) as [[string, Record<string, unknown>]];
    const env = (fn.Environment as { Variables: Record<string, unknown> }).Variables;
    expect(env.CALLBACK_SCHEDULE_GROUP).toBe(resourcesOfType('AWS::Scheduler::ScheduleGroup')[0]?.[1].Name);
    expect(env.CALLBACK_SCHEDULE_ROLE_ARN).toEqual({
      'Fn::GetAtt': [logicalId('AWS::IAM::Role', 'SchedulesCallbackRole'), 'Arn'],
    });
    expect(JSON.stringify(env.CALLBACK_TARGET_ARN)).toContain(':function:bolt-voice-test-PlaceCall');
    expect(fn.FunctionName).toBe('bolt-voice-test-PlaceCall');
    expect(env.CALLBACK_DEAD_LETTER_ARN).toEqual({
      'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'SchedulesDeadLetterQueue'), 'Arn'],
    });
  });
});

describe('scheduler roles', () => {
  it('the callback role trusts only the scheduler, for this account and group, and may invoke only the callback function', () => {
    const roleId = logicalId('AWS::IAM::Role', 'SchedulesCallbackRole');
    const role = template().toJSON().Resources[roleId].Properties;
    expect(role.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: {
          StringEquals: {
            'aws:SourceAccount': { Ref: 'AWS::AccountId' },
            'aws:SourceArn': {
              'Fn::GetAtt': [logicalId('AWS::Scheduler::ScheduleGroup', 'SchedulesCallbackGroup'), 'Arn'],
            },
          },
        },
      },
    ]);
    const invoke = statementsOfRole(roleId).filter((s) => actionsOf(s).includes('lambda:InvokeFunction'));
    expect(invoke.map((s) => s.Resource)).toEqual([
      { 'Fn::GetAtt': [logicalId('AWS::Lambda::Function', 'FunctionsPlaceCall'), 'Arn'] },
    ]);
  });
});

describe('bridge task role', () => {
  const taskRole = () => logicalId('AWS::IAM::Role', 'BridgeTaskDefinitionTaskRole');

  it('may set its own scale-in protection, on tasks of its cluster only', () => {
    const protection = statementsOfRole(taskRole()).find((s) =>
      actionsOf(s).includes('ecs:UpdateTaskProtection'),
    );
    expect(actionsOf(protection ?? {}).sort()).toEqual(['ecs:GetTaskProtection', 'ecs:UpdateTaskProtection']);
    const resource = JSON.stringify(protection?.Resource);
    expect(resource).toContain(':task/');
    expect(resource).toContain(logicalId('AWS::ECS::Cluster', 'BridgeCluster'));
  });

  it('reads and writes the call table, reads the provider flag and the secret, creates callbacks, writes recordings; nothing else', () => {
    const statements = statementsOfRole(taskRole());
    const services = new Set(statements.flatMap((s) => actionsOf(s).map((a) => a.split(':')[0])));
    // kms and s3: the recordings (test/infra/recordings.test.ts checks they are exactly put and the key).
    expect([...services].sort()).toEqual([
      'dynamodb',
      'ecs',
      'iam',
      'kms',
      's3',
      'scheduler',
      'secretsmanager',
      'ssm',
    ]);
    const secret = statements.filter((s) => actionsOf(s).some((a) => a.startsWith('secretsmanager:')));
    expect(secret.flatMap(actionsOf).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
    expect(JSON.stringify(secret[0]?.Resource)).toContain(SECRET_ARN_TAIL);
    for (const s of statements) expect(s.Resource).not.toBe('*');
  });

  it('creates callback schedules only in the callback group, passing only the scheduler role', () => {
    const statements = statementsOfRole(taskRole());
    const schedules = statements.find((s) => actionsOf(s).includes('scheduler:CreateSchedule'));
    expect(JSON.stringify(schedules?.Resource)).toContain(':schedule/');
    const passRole = statements.find((s) => actionsOf(s).includes('iam:PassRole'));
    expect(passRole?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
    expect(JSON.stringify(passRole?.Resource)).toContain('CallbackRole');
  });

  it('reads the business profile parameter (which the owner creates, not the stack) and cannot write it', () => {
    const ssm = statementsOfRole(taskRole()).filter((s) =>
      JSON.stringify(s.Resource).includes(':parameter/bolt-voice/test/business-profile'),
    );
    expect(ssm).toHaveLength(1);
    expect(actionsOf(ssm[0] ?? {})).toContain('ssm:GetParameter');
    expect(actionsOf(ssm[0] ?? {}).some((a) => a.startsWith('ssm:Put') || a.startsWith('ssm:Delete'))).toBe(
      false,
    );
    const created = resourcesOfType('AWS::SSM::Parameter').map(([, p]) => (p as { Name?: string }).Name);
    expect(created).not.toContain('/bolt-voice/test/business-profile');
    const [[, task]] = resourcesOfType('AWS::ECS::TaskDefinition') as [[string, Record<string, unknown>]];
    const env = (
      (
        task as {
          ContainerDefinitions: Array<{ Environment: Array<{ Name: string; Value: unknown }> }>;
        }
      ).ContainerDefinitions[0]?.Environment ?? []
    ).find((e) => e.Name === 'BUSINESS_PROFILE_PARAMETER');
    expect(env?.Value).toBe('/bolt-voice/test/business-profile');
  });
});

describe('the internet-facing webhook functions', () => {
  it('may only get, query, put and update items (DeleteItem only where they finalise); the fallback nothing', () => {
    const byId = Object.fromEntries(FUNCTION_TABLE.map((s) => [s.id, s.table]));
    expect(byId.InboundCall?.actions).toEqual(['PutItem', 'UpdateItem']);
    expect(byId.DialResult?.actions).toEqual(['UpdateItem']);
    expect(byId.TwilioFallback).toBeUndefined();
    expect(byId.InboundSms).toBeUndefined();
    const deleting = FUNCTION_TABLE.filter((s) => s.table?.deletesPendingMarkers).map((s) => s.id);
    expect(deleting.sort()).toEqual(['CallStatus', 'DailyDigest', 'FinalisationSweep']);
  });
});
