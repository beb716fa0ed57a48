import { Match } from 'aws-cdk-lib/assertions';
import { FUNCTION_TABLE } from '../../lib/lambda-functions.js';
import { webhookRoutes } from '../../services/core/shared/routes.js';
import { logicalId, resourcesOfType, template } from './fixture.js';

/** Route key → the function's construct id, read from the template's integration URIs. */
function routeTargets(): Map<string, { authorizationType: string; functionId: string }> {
  const integrations = new Map(
    resourcesOfType('AWS::ApiGatewayV2::Integration').map(([id, p]) => [
      id,
      JSON.stringify(p.IntegrationUri).match(/"(Functions\w+?)[0-9A-F]{8}"/)?.[1] ?? '?',
    ]),
  );
  return new Map(
    resourcesOfType('AWS::ApiGatewayV2::Route').map(([, p]) => {
      const target = String(p.Target).replace('integrations/', '');
      const integrationId = JSON.stringify(p.Target).match(/"Ref":"(\w+)"/)?.[1] ?? target;
      return [
        p.RouteKey as string,
        {
          authorizationType: p.AuthorizationType as string,
          functionId: integrations.get(integrationId) ?? '?',
        },
      ];
    }),
  );
}

describe('webhook API', () => {
  it('has exactly the routes of DESIGN, each on its function, POST /calls behind IAM', () => {
    expect(Object.fromEntries(routeTargets())).toEqual({
      'POST /twilio/inbound': { authorizationType: 'NONE', functionId: 'FunctionsInboundCall' },
      'POST /twilio/outbound': { authorizationType: 'NONE', functionId: 'FunctionsOutboundTwiml' },
      'POST /twilio/status': { authorizationType: 'NONE', functionId: 'FunctionsCallStatus' },
      'POST /twilio/dial-result': { authorizationType: 'NONE', functionId: 'FunctionsDialResult' },
      'POST /twilio/whisper': { authorizationType: 'NONE', functionId: 'FunctionsWhisper' },
      'POST /twilio/sms': { authorizationType: 'NONE', functionId: 'FunctionsInboundSms' },
      'POST /elevenlabs/post-call': { authorizationType: 'NONE', functionId: 'FunctionsPostCall' },
      'POST /calls': { authorizationType: 'AWS_IAM', functionId: 'FunctionsPlaceCall' },
      'POST /twilio/fallback': { authorizationType: 'NONE', functionId: 'FunctionsTwilioFallback' },
    });
  });

  it('throttles the $default stage and writes JSON access logs without request bodies to a retained log group', () => {
    template().hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [logicalId('AWS::Logs::LogGroup', 'WebhookApiAccessLogs'), 'Arn'] },
        Format: Match.stringLikeRegexp('"routeKey":"\\$context.routeKey"'),
      },
    });
    const settings = resourcesOfType('AWS::ApiGatewayV2::Stage')[0]?.[1].AccessLogSettings as {
      Format: string;
    };
    const fields = Object.values(JSON.parse(settings.Format) as Record<string, string>);
    expect(fields).toEqual(
      expect.arrayContaining(['$context.requestId', '$context.status', '$context.identity.userArn']),
    );
    expect(fields.join(' ')).not.toMatch(/body|\$input|querystring/i);
    const accessLogs = logicalId('AWS::Logs::LogGroup', 'WebhookApiAccessLogs');
    expect(template().toJSON().Resources[accessLogs].Properties.RetentionInDays).toBe(14);
  });

  it('gives every route its own throttle: Twilio the whole stage limit, post-call a fifth, POST /calls a tenth', () => {
    const stage = resourcesOfType('AWS::ApiGatewayV2::Stage')[0]?.[1];
    expect(stage?.RouteSettings).toEqual({
      'POST /twilio/inbound': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /twilio/outbound': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /twilio/status': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /twilio/dial-result': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /twilio/whisper': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /twilio/sms': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
      'POST /elevenlabs/post-call': { ThrottlingRateLimit: 10, ThrottlingBurstLimit: 20 },
      'POST /calls': { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
      'POST /twilio/fallback': { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
    // The stage is created after the routes its settings name.
    const [stageId] = resourcesOfType('AWS::ApiGatewayV2::Stage')[0] ?? [];
    const dependsOn = (template().toJSON().Resources[stageId as string].DependsOn ?? []) as string[];
    const routeIds = resourcesOfType('AWS::ApiGatewayV2::Route').map(([id]) => id);
    expect(routeIds).toHaveLength(webhookRoutes().length);
    for (const id of routeIds) expect(dependsOn).toContain(id);
  });

  it('lets API Gateway invoke each routed function only from this API', () => {
    const permissions = resourcesOfType('AWS::Lambda::Permission');
    expect(permissions).toHaveLength(FUNCTION_TABLE.filter((f) => 'route' in f).length);
    for (const [, p] of permissions) {
      expect(p.Principal).toBe('apigateway.amazonaws.com');
      expect(JSON.stringify(p.SourceArn)).toContain(logicalId('AWS::ApiGatewayV2::Api', 'WebhookApiHttpApi'));
    }
  });
});

describe('house-default functions', () => {
  const functions = () => resourcesOfType('AWS::Lambda::Function');

  it('are Node 24 on ARM64 with source maps, Powertools names and JSON logs to their own log group', () => {
    expect(functions()).toHaveLength(FUNCTION_TABLE.length);
    for (const [id, p] of functions()) {
      expect(p).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.stringMatching(/Logs[0-9A-F]{8}$/) } },
        Environment: {
          Variables: expect.objectContaining({
            NODE_OPTIONS: '--enable-source-maps',
            POWERTOOLS_SERVICE_NAME: 'bolt-voice-test',
            POWERTOOLS_METRICS_NAMESPACE: 'BoltVoice',
          }),
        },
      });
      const logGroup = (p.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      expect(template().toJSON().Resources[logGroup].Properties.RetentionInDays).toBe(14);
      expect(id).toMatch(/^Functions/);
    }
  });

  it('get every setting the services need to start, from the configuration', () => {
    const apiId = logicalId('AWS::ApiGatewayV2::Api', 'WebhookApiHttpApi');
    // The fallback and the inbound-text function have no table (test/infra/iam.test.ts); every
    // other function works on it.
    const tableless = ['FunctionsTwilioFallback', 'FunctionsInboundSms'];
    const withTable = functions().filter(([id]) => !tableless.some((prefix) => id.startsWith(prefix)));
    expect(withTable).toHaveLength(functions().length - 2);
    for (const [, p] of withTable) {
      const env = (p.Environment as { Variables: Record<string, unknown> }).Variables;
      expect(env).toMatchObject({
        STREAM_URL: 'wss://voice.bolt-plumbing.example/media-stream',
        TWILIO_PHONE_NUMBER: '+15550001111',
        BUSINESS_NAME: 'Bolt Plumbing',
        BUSINESS_TIMEZONE: 'Europe/London',
        BUSINESS_HOURS: 'mon-fri 08:30-17:30,sat 10:00-14:00',
        OWNER_EMAIL: 'owner@bolt-plumbing.example',
        EMAIL_FROM: 'Bolt Voice <receptionist@bolt-plumbing.example>',
        OWNER_PHONE: '+447700900123',
        OUTBOUND_ALLOWED_COUNTRIES: 'GB,IE',
        CALL_TABLE_NAME: { Ref: logicalId('AWS::DynamoDB::GlobalTable', 'CallTable') },
        SECRETS_ARN: 'bolt-voice/test',
        GOOGLE_CALENDAR_ID: 'bookings@bolt-plumbing.example',
      });
      expect(JSON.stringify(env.PUBLIC_URL)).toContain(apiId);
    }
  });

  it("size the call-path functions for a fast cold start within Twilio's 15 s webhook timeout", () => {
    const byId = Object.fromEntries(functions().map(([id, p]) => [id.replace(/[0-9A-F]{8}$/, ''), p]));
    expect(byId.FunctionsInboundCall).toMatchObject({ MemorySize: 1024, Timeout: 10 });
    expect(byId.FunctionsOutboundTwiml).toMatchObject({ MemorySize: 1024, Timeout: 10 });
    expect(byId.FunctionsDailyDigest).toMatchObject({ Timeout: 60 });
    expect(byId.FunctionsPlaceCall).toMatchObject({ FunctionName: 'bolt-voice-test-PlaceCall' });
  });
});
