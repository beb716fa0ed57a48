import { Match } from 'aws-cdk-lib/assertions';
import { MAX_CALL_SECONDS } from '../../lib/bridge-service.js';
import { logicalId, resourcesOfType, template } from './fixture.js';

function attributes(props: Record<string, unknown>, key: string): Record<string, string> {
  const list = props[key] as Array<{ Key: string; Value: string }>;
  return Object.fromEntries(list.map((a) => [a.Key, a.Value]));
}

describe('bridge load balancer', () => {
  it('keeps idle WebSockets for an hour, drops invalid headers and logs access to S3', () => {
    const [[, alb]] = resourcesOfType('AWS::ElasticLoadBalancingV2::LoadBalancer') as [
      [string, Record<string, unknown>],
    ];
    expect(alb.Scheme).toBe('internet-facing');
    expect(attributes(alb, 'LoadBalancerAttributes')).toMatchObject({
      'idle_timeout.timeout_seconds': '3600',
      'routing.http.drop_invalid_header_fields.enabled': 'true',
      'access_logs.s3.enabled': 'true',
    });
    template().hasResource('AWS::S3::Bucket', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
      }),
    });
  });

  it('terminates TLS with the configured certificate and forwards only /media-stream and /health to the bridge', () => {
    template().hasResourceProperties('AWS::ElasticLoadBalancingV2::Listener', {
      Port: 443,
      Protocol: 'HTTPS',
      Certificates: [
        {
          CertificateArn:
            'arn:aws:acm:eu-west-1:123456789012:certificate/11111111-2222-3333-4444-555555555555',
        },
      ],
      SslPolicy: Match.stringLikeRegexp('^ELBSecurityPolicy-TLS13'),
      DefaultActions: [
        Match.objectLike({ Type: 'fixed-response', FixedResponseConfig: { StatusCode: '404' } }),
      ],
    });
    template().hasResourceProperties('AWS::ElasticLoadBalancingV2::ListenerRule', {
      Conditions: [{ Field: 'path-pattern', PathPatternConfig: { Values: ['/health', '/media-stream'] } }],
      Actions: [Match.objectLike({ Type: 'forward' })],
    });
    expect(resourcesOfType('AWS::ElasticLoadBalancingV2::Listener')).toHaveLength(1);
  });

  it('drains a stopping task for longer than the longest call (MAX_CALL_SECONDS + 60 s), and checks /health', () => {
    const [[, group]] = resourcesOfType('AWS::ElasticLoadBalancingV2::TargetGroup') as [
      [string, Record<string, unknown>],
    ];
    expect(group).toMatchObject({
      Port: 8080,
      Protocol: 'HTTP',
      TargetType: 'ip',
      HealthCheckPath: '/health',
      Matcher: { HttpCode: '200' },
    });
    expect(attributes(group, 'TargetGroupAttributes')).toMatchObject({
      'deregistration_delay.timeout_seconds': String(MAX_CALL_SECONDS + 60),
    });
    expect(MAX_CALL_SECONDS + 60).toBe(960);
  });

  it('points the bridge domain at the load balancer in the hosted zone', () => {
    template().hasResourceProperties('AWS::Route53::RecordSet', {
      Name: 'voice.bolt-plumbing.example.',
      Type: 'A',
      HostedZoneId: 'Z0123456789ABCDEFGHIJ',
    });
  });
});

describe('bridge task', () => {
  const task = () => resourcesOfType('AWS::ECS::TaskDefinition')[0]?.[1] as Record<string, unknown>;
  const container = () =>
    (task().ContainerDefinitions as Array<Record<string, unknown>>)[0] as Record<string, unknown>;

  it('runs on Fargate ARM64 with the configured size', () => {
    expect(task()).toMatchObject({
      RequiresCompatibilities: ['FARGATE'],
      NetworkMode: 'awsvpc',
      Cpu: '1024',
      Memory: '2048',
      RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
    });
  });

  it('gets 120 s between SIGTERM and SIGKILL, listens on 8080, and starts no health-check process', () => {
    expect(container()).toMatchObject({
      StopTimeout: 120,
      // The call limit the drain is sized from, set explicitly so the two cannot drift apart.
      Environment: expect.arrayContaining([{ Name: 'MAX_CALL_SECONDS', Value: String(MAX_CALL_SECONDS) }]),
      PortMappings: [{ ContainerPort: 8080, Protocol: 'tcp' }],
      ReadonlyRootFilesystem: true,
    });
    // The load balancer checks GET /health; a container check would start Node every interval.
    expect(container().HealthCheck).toBeUndefined();
  });

  it('logs without blocking to a log group with retention', () => {
    const logging = container().LogConfiguration as { LogDriver: string; Options: Record<string, unknown> };
    expect(logging.LogDriver).toBe('awslogs');
    expect(logging.Options).toMatchObject({ mode: 'non-blocking', 'awslogs-stream-prefix': 'bridge' });
    const groupId = (logging.Options['awslogs-group'] as { Ref: string }).Ref;
    expect(groupId).toBe(logicalId('AWS::Logs::LogGroup', 'BridgeLogs'));
    expect(template().toJSON().Resources[groupId].Properties.RetentionInDays).toBe(14);
  });

  it('gets the settings the bridge reads, and its metric names', () => {
    const env = Object.fromEntries(
      (container().Environment as Array<{ Name: string; Value: unknown }>).map((e) => [e.Name, e.Value]),
    );
    expect(env).toMatchObject({
      PORT: '8080',
      STREAM_URL: 'wss://voice.bolt-plumbing.example/media-stream',
      TWILIO_PHONE_NUMBER: '+15550001111',
      BUSINESS_TIMEZONE: 'Europe/London',
      OUTBOUND_ALLOWED_COUNTRIES: 'GB,IE',
      // Texts on by default, from the business number (no SMS_FROM, no Messaging Service).
      SMS_ENABLED: 'true',
      POWERTOOLS_SERVICE_NAME: 'bolt-voice-test-bridge',
      POWERTOOLS_METRICS_NAMESPACE: 'BoltVoice',
      CALL_TABLE_NAME: { Ref: logicalId('AWS::DynamoDB::GlobalTable', 'CallTable') },
      VOICE_PROVIDER_PARAMETER: '/bolt-voice/test/voice-provider',
      SECRETS_ARN: 'bolt-voice/test',
      GOOGLE_CALENDAR_ID: 'bookings@bolt-plumbing.example',
    });
    expect(JSON.stringify(env.PUBLIC_URL)).toContain(
      logicalId('AWS::ApiGatewayV2::Api', 'WebhookApiHttpApi'),
    );
    // schedule_callback on the bridge creates the same one-time schedules as POST /calls.
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining([
        'CALLBACK_TARGET_ARN',
        'CALLBACK_SCHEDULE_ROLE_ARN',
        'CALLBACK_SCHEDULE_GROUP',
        'CALLBACK_DEAD_LETTER_ARN',
      ]),
    );
    expect(env.SMS_FROM).toBeUndefined();
    expect(env.SMS_MESSAGING_SERVICE_SID).toBeUndefined();
  });
});

describe('bridge service', () => {
  it('replaces tasks before stopping old ones, rolls back a failed deploy, and runs in public subnets', () => {
    template().hasResourceProperties('AWS::ECS::Service', {
      LaunchType: 'FARGATE',
      DeploymentConfiguration: {
        DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        MinimumHealthyPercent: 100,
        MaximumPercent: 200,
      },
      NetworkConfiguration: { AwsvpcConfiguration: Match.objectLike({ AssignPublicIp: 'ENABLED' }) },
      DesiredCount: Match.absent(),
    });
    template().resourceCountIs('AWS::EC2::NatGateway', 0);
    template().hasResourceProperties('AWS::ECS::Cluster', {
      // Off: billed per task; the alarms use free metrics (docs/deploy.md, What it costs).
      ClusterSettings: [{ Name: 'containerInsights', Value: 'disabled' }],
    });
  });

  it('accepts traffic on 8080 from the load balancer only', () => {
    const ingress = resourcesOfType('AWS::EC2::SecurityGroupIngress').filter(([, p]) => p.FromPort === 8080);
    expect(ingress).toHaveLength(1);
    expect(ingress[0]?.[1]).toMatchObject({
      IpProtocol: 'tcp',
      ToPort: 8080,
      SourceSecurityGroupId: {
        'Fn::GetAtt': [logicalId('AWS::EC2::SecurityGroup', 'BridgeAlbSecurityGroup'), 'GroupId'],
      },
    });
    const serviceGroup = resourcesOfType('AWS::EC2::SecurityGroup').find(([id]) =>
      id.startsWith('BridgeServiceSecurityGroup'),
    )?.[1];
    expect(serviceGroup?.SecurityGroupIngress).toBeUndefined();
  });

  it('scales between the configured bounds on the average ActiveCalls per task', () => {
    template().hasResourceProperties('AWS::ApplicationAutoScaling::ScalableTarget', {
      MinCapacity: 2,
      MaxCapacity: 6,
      ScalableDimension: 'ecs:service:DesiredCount',
    });
    template().hasResourceProperties('AWS::ApplicationAutoScaling::ScalingPolicy', {
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: {
        TargetValue: 25,
        ScaleOutCooldown: 60,
        ScaleInCooldown: 300,
        CustomizedMetricSpecification: {
          Namespace: 'BoltVoice',
          MetricName: 'ActiveCalls',
          Dimensions: [{ Name: 'service', Value: 'bolt-voice-test-bridge' }],
          Statistic: 'Average',
        },
      },
    });
  });

  it('logs rejected VPC traffic', () => {
    template().hasResourceProperties('AWS::EC2::FlowLog', {
      TrafficType: 'REJECT',
      LogDestinationType: 'cloud-watch-logs',
    });
  });
});
