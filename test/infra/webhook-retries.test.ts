import { Match } from 'aws-cdk-lib/assertions';
import { actionsOf, logicalId, resourcesOfType, statementsOfRole, template } from './fixture.js';

const queueArn = () => ({ 'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'WebhookRetriesQueue'), 'Arn'] });
const roleOf = (fnPrefix: string) => {
  const fn = logicalId('AWS::Lambda::Function', fnPrefix);
  const props = template().toJSON().Resources[fn].Properties as { Role: { 'Fn::GetAtt': [string, string] } };
  return props.Role['Fn::GetAtt'][0];
};

describe('integration webhook retries (AWS)', () => {
  it('a TLS-only, encrypted queue with a dead-letter queue after three receives', () => {
    template().hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      VisibilityTimeout: 540,
      RedrivePolicy: {
        deadLetterTargetArn: {
          'Fn::GetAtt': [logicalId('AWS::SQS::Queue', 'WebhookRetriesDeadLetterQueue'), 'Arn'],
        },
        maxReceiveCount: 3,
      },
    });
    template().hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [{ Ref: logicalId('AWS::SQS::Queue', 'WebhookRetriesQueue') }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('the WebhookRetry function consumes it (batch item failures) and may only get and update the table', () => {
    template().hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: queueArn(),
      FunctionName: { Ref: logicalId('AWS::Lambda::Function', 'FunctionsWebhookRetry') },
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    const dynamo = statementsOfRole(roleOf('FunctionsWebhookRetry')).filter((st) =>
      actionsOf(st).some((a) => a.startsWith('dynamodb:')),
    );
    expect(dynamo.flatMap(actionsOf).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:UpdateItem']);
  });

  it('the functions that finalise calls (and the consumer) may send to it and know its URL; no other', () => {
    const senders = resourcesOfType('AWS::IAM::Role')
      .map(([id]) => id)
      .filter((id) =>
        statementsOfRole(id).some(
          (st) =>
            actionsOf(st).includes('sqs:SendMessage') &&
            JSON.stringify(st.Resource) === JSON.stringify(queueArn()),
        ),
      )
      .map((id) => id.replace(/Role[0-9A-F]{8}$/, ''))
      .sort();
    expect(senders).toEqual(
      [
        'FunctionsCallStatus',
        'FunctionsDailyDigest',
        'FunctionsFinalisationSweep',
        'FunctionsPostCall',
        'FunctionsWebhookRetry',
      ].sort(),
    );
    const env = (prefix: string) =>
      (template().toJSON().Resources[logicalId('AWS::Lambda::Function', prefix)].Properties.Environment
        .Variables ?? {}) as Record<string, unknown>;
    expect(env('FunctionsCallStatus').WEBHOOK_RETRY_QUEUE_URL).toEqual({
      Ref: logicalId('AWS::SQS::Queue', 'WebhookRetriesQueue'),
    });
    expect(env('FunctionsInboundCall').WEBHOOK_RETRY_QUEUE_URL).toBeUndefined();
  });
});
