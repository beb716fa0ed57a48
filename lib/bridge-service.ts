import { Duration, RemovalPolicy, Size, Stack, Validations } from 'aws-cdk-lib';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { Metric } from 'aws-cdk-lib/aws-cloudwatch';
import type { ITableV2 } from 'aws-cdk-lib/aws-dynamodb';
import {
  FlowLogDestination,
  FlowLogTrafficType,
  Port,
  SecurityGroup,
  SubnetType,
  Vpc,
} from 'aws-cdk-lib/aws-ec2';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import {
  AwsLogDriverMode,
  Cluster,
  type ContainerDefinition,
  ContainerImage,
  ContainerInsights,
  CpuArchitecture,
  FargateService,
  FargateTaskDefinition,
  LogDrivers,
  OperatingSystemFamily,
} from 'aws-cdk-lib/aws-ecs';
import {
  ApplicationLoadBalancer,
  ApplicationProtocol,
  type ApplicationTargetGroup,
  ListenerAction,
  ListenerCondition,
  SslPolicy,
} from 'aws-cdk-lib/aws-elasticloadbalancingv2';
import { type IRole, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { LoadBalancerTarget } from 'aws-cdk-lib/aws-route53-targets';
import { BlockPublicAccess, Bucket, BucketEncryption, ObjectOwnership } from 'aws-cdk-lib/aws-s3';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { IStringParameter } from 'aws-cdk-lib/aws-ssm';
import { IgnoreMode } from 'aws-cdk-lib/core';
import { Construct } from 'constructs';
import { BRIDGE_METRICS, METRICS_NAMESPACE } from '../services/core/shared/metric-names.js';
import { BRIDGE_ROUTES } from '../services/core/shared/routes.js';
import { PROJECT_ROOT } from './house-function.js';
import { acknowledgeWildcardResource } from './nag.js';

/** Port the bridge listens on inside the container (PORT). */
export const BRIDGE_PORT = 8080;
/**
 * The longest a call lasts: the stack sets it on the bridge (MAX_CALL_SECONDS), which hangs up at
 * it, so no call outlives it and the drain below is sized from the same number.
 */
export const MAX_CALL_SECONDS = 900;
/**
 * How long a deregistered task keeps its connections. ECS deregisters a task from the load balancer
 * and waits for the drain before it sends SIGTERM, on every stop: a deploy, a scale-in, a failed
 * health check, a Fargate retirement, a stop that scale-in protection did not hold. So the drain
 * outlasts the longest call, with a minute to spare; the load balancer ends it as soon as a task
 * holds no connection, so an idle task still stops at once.
 */
export const DEREGISTRATION_DELAY_SECONDS = MAX_CALL_SECONDS + 60;
/**
 * SIGTERM → SIGKILL: Fargate's maximum. By SIGTERM the drain is over; the bridge's own shutdown
 * wraps up and closes whatever is left well within it.
 */
export const STOP_TIMEOUT_SECONDS = 120;
/**
 * ALB idle timeout. Above every keep-alive interval on the path (Twilio media frames flow every 20 ms
 * even in silence; provider pings are well under a minute), so a live call is never cut as idle.
 */
export const ALB_IDLE_TIMEOUT_SECONDS = 3600;

/**
 * The Docker build context is the repository root (the bridge imports services/core and needs the
 * lock file), but only these paths are staged into cdk.out and sent to the build.
 */
export const BRIDGE_IMAGE_CONTEXT_EXCLUDE = [
  '*',
  '!package.json',
  '!package-lock.json',
  '!tsconfig.json',
  '!services',
  'services/local',
  '**/*.test.ts',
];

export interface BridgeServiceProps {
  readonly serviceName: string;
  readonly domainName: string;
  readonly certificateArn: string;
  readonly hostedZone?: IHostedZone;
  readonly table: ITableV2;
  readonly providerFlag: IStringParameter;
  /** Read per call (cached 60 s); may not exist yet, then calls go without a profile. */
  readonly businessProfile?: IStringParameter;
  readonly secret: ISecret;
  /** The secret's name (SECRETS_ARN accepts an ARN or a name). */
  readonly secretName: string;
  /** Non-secret settings (business, URLs, phone number). */
  readonly environment: Readonly<Record<string, string>>;
  readonly cpu: number;
  readonly memoryMiB: number;
  readonly minTasks: number;
  readonly maxTasks: number;
  readonly targetCallsPerTask: number;
  readonly logRetention: RetentionDays;
}

/**
 * The WebSocket bridge on Fargate behind an HTTPS ALB (wss://<domainName>/media-stream). It scales
 * on active calls per task, protects a task that holds calls from scale-in (the bridge calls the ECS
 * task scale-in protection endpoint), and drains a stopping task for as long as a call can last.
 */
export class BridgeService extends Construct {
  public readonly vpc: Vpc;
  public readonly cluster: Cluster;
  public readonly service: FargateService;
  public readonly loadBalancer: ApplicationLoadBalancer;
  public readonly targetGroup: ApplicationTargetGroup;
  public readonly activeCallsMetric: Metric;
  /** The bridge container (settings added by other constructs, e.g. the callback schedules). */
  public readonly container: ContainerDefinition;
  public readonly taskRole: IRole;
  /** The container's log group (the bridge's JSON log lines and EMF metrics). */
  public readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: BridgeServiceProps) {
    super(scope, id);
    const { account, region, partition } = Stack.of(this);

    // Public subnets only, no NAT gateway: tasks reach the engines and APIs through their public IP,
    // and accept traffic only from the load balancer's security group.
    const flowLogs = new LogGroup(this, 'VpcFlowLogs', { retention: props.logRetention });
    this.vpc = new Vpc(this, 'Vpc', {
      maxAzs: 2,
      natGateways: 0,
      subnetConfiguration: [{ name: 'public', subnetType: SubnetType.PUBLIC, cidrMask: 24 }],
      // Rejected traffic only: enough to see probes and misconfigured rules, at a fraction of the volume.
      flowLogs: {
        rejected: {
          destination: FlowLogDestination.toCloudWatchLogs(flowLogs),
          trafficType: FlowLogTrafficType.REJECT,
        },
      },
      // Nothing uses the default security group; restricting it would add a custom-resource Lambda.
      restrictDefaultSecurityGroup: false,
    });

    // Container Insights off: its per-task metrics are billed, and the alarms need only the free
    // AWS/ECS service metrics, the load balancer's, and the bridge's own.
    this.cluster = new Cluster(this, 'Cluster', {
      vpc: this.vpc,
      containerInsightsV2: ContainerInsights.DISABLED,
    });
    Validations.of(this.cluster).acknowledge({
      id: 'AwsSolutions-ECS4',
      reason:
        'Container Insights is off to keep an idle deployment cheap; the alarms use the free AWS/ECS CPU and memory metrics, the load balancer metrics and the bridge metrics (docs/deploy.md, What it costs).',
    });

    const taskDefinition = new FargateTaskDefinition(this, 'TaskDefinition', {
      cpu: props.cpu,
      memoryLimitMiB: props.memoryMiB,
      runtimePlatform: {
        cpuArchitecture: CpuArchitecture.ARM64,
        operatingSystemFamily: OperatingSystemFamily.LINUX,
      },
    });

    const logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.logGroup = logGroup;
    const container = taskDefinition.addContainer('bridge', {
      image: ContainerImage.fromAsset(PROJECT_ROOT, {
        file: 'services/bridge/Dockerfile',
        platform: Platform.LINUX_ARM64,
        ignoreMode: IgnoreMode.DOCKER,
        exclude: BRIDGE_IMAGE_CONTEXT_EXCLUDE,
      }),
      essential: true,
      portMappings: [{ containerPort: BRIDGE_PORT }],
      stopTimeout: Duration.seconds(STOP_TIMEOUT_SECONDS),
      readonlyRootFilesystem: true,
      // EMF metrics go out through these logs; non-blocking so a slow log sink never stalls media.
      logging: LogDrivers.awsLogs({
        streamPrefix: 'bridge',
        logGroup,
        mode: AwsLogDriverMode.NON_BLOCKING,
        maxBufferSize: Size.mebibytes(25),
      }),
      environment: {
        ...props.environment,
        PORT: String(BRIDGE_PORT),
        MAX_CALL_SECONDS: String(MAX_CALL_SECONDS),
        CALL_TABLE_NAME: props.table.tableName,
        VOICE_PROVIDER_PARAMETER: props.providerFlag.parameterName,
        // The bridge reads the secret itself at start, like the Lambdas: an ECS secret would need
        // the secret's full ARN, which an imported-by-name secret does not have.
        SECRETS_ARN: props.secretName,
        ...(props.businessProfile ? { BUSINESS_PROFILE_PARAMETER: props.businessProfile.parameterName } : {}),
        POWERTOOLS_SERVICE_NAME: props.serviceName,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
      },
      // No container health check: it would start a Node process every interval on a small task.
      // The load balancer checks GET /health; ECS replaces a task the target group marks unhealthy.
    });
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-ECS2',
      reason:
        'Only non-secret settings (URLs, table, parameter and secret names, business hours) are plain environment variables; the keys are read from Secrets Manager by the bridge at start (SECRETS_ARN).',
    });

    // The root filesystem is read-only; call recordings are written to the task's ephemeral storage
    // here while the call runs, then uploaded (services/adapters/s3/recordings.ts).
    taskDefinition.addVolume({ name: 'scratch' });
    container.addMountPoints({ sourceVolume: 'scratch', containerPath: '/tmp', readOnly: false });

    this.container = container;
    this.taskRole = taskDefinition.taskRole;
    props.table.grantReadWriteData(taskDefinition.taskRole);
    props.providerFlag.grantRead(taskDefinition.taskRole);
    props.secret.grantRead(taskDefinition.taskRole);
    props.businessProfile?.grantRead(taskDefinition.taskRole);
    // The bridge sets and clears its own scale-in protection through the ECS agent's task
    // protection endpoint, which calls these APIs with the task role.
    const tasksOfThisCluster = `arn:${partition}:ecs:${region}:${account}:task/${this.cluster.clusterName}/*`;
    taskDefinition.taskRole.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['ecs:UpdateTaskProtection', 'ecs:GetTaskProtection'],
        resources: [tasksOfThisCluster],
      }),
    );
    acknowledgeWildcardResource(
      taskDefinition.taskRole,
      tasksOfThisCluster,
      'A task protects itself, and task ids exist only at run time; the wildcard is limited to tasks of this cluster.',
    );
    Validations.of(taskDefinition).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'The execution role needs ecr:GetAuthorizationToken to pull the image, an action that only accepts Resource "*" (CDK-generated).',
    });

    const albSecurityGroup = new SecurityGroup(this, 'AlbSecurityGroup', {
      vpc: this.vpc,
      description: 'Bolt Voice bridge load balancer: HTTPS from Twilio Media Streams',
      allowAllOutbound: false,
    });
    this.loadBalancer = new ApplicationLoadBalancer(this, 'LoadBalancer', {
      vpc: this.vpc,
      internetFacing: true,
      securityGroup: albSecurityGroup,
      idleTimeout: Duration.seconds(ALB_IDLE_TIMEOUT_SECONDS),
      dropInvalidHeaderFields: true,
    });
    Validations.of(albSecurityGroup).acknowledge({
      id: 'AwsSolutions-EC23',
      reason:
        'Twilio Media Streams connect from addresses Twilio does not publish as a fixed list, so HTTPS 443 is open to the internet; the bridge refuses any upgrade without a valid X-Twilio-Signature and a one-time stream token.',
    });

    const accessLogs = new Bucket(this, 'AccessLogsBucket', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      lifecycleRules: [{ expiration: Duration.days(90) }],
      // Always kept, under a generated name. The load balancer writes a test object into it as soon
      // as it exists, so a rollback that had to delete it would fail (ROLLBACK_FAILED, and the CLI
      // refuses to retry); kept, it is simply left behind (docs/deploy.md, step 11: a failed first deploy).
      removalPolicy: RemovalPolicy.RETAIN,
    });
    Validations.of(accessLogs).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'This bucket only receives the load balancer access logs; logging access to a log bucket would recurse.',
    });
    this.loadBalancer.logAccessLogs(accessLogs, 'bridge-alb');

    const listener = this.loadBalancer.addListener('Https', {
      port: 443,
      protocol: ApplicationProtocol.HTTPS,
      certificates: [Certificate.fromCertificateArn(this, 'Certificate', props.certificateArn)],
      sslPolicy: SslPolicy.RECOMMENDED_TLS,
      open: true,
      defaultAction: ListenerAction.fixedResponse(404),
    });

    this.service = new FargateService(this, 'Service', {
      cluster: this.cluster,
      taskDefinition,
      // Left to auto-scaling (starting at minTasks), so a deploy never resets the count.
      minHealthyPercent: 100,
      maxHealthyPercent: 200,
      assignPublicIp: true,
      vpcSubnets: { subnetType: SubnetType.PUBLIC },
      circuitBreaker: { enable: true, rollback: true },
      healthCheckGracePeriod: Duration.seconds(30),
    });

    this.targetGroup = listener.addTargets('Bridge', {
      port: BRIDGE_PORT,
      protocol: ApplicationProtocol.HTTP,
      targets: [this.service.loadBalancerTarget({ containerName: container.containerName })],
      // Only the media stream and the health check reach the bridge; anything else gets the
      // listener's 404. /health through the listener lets an operator (and `npm run smoke`) see it.
      priority: 10,
      conditions: [ListenerCondition.pathPatterns(Object.values(BRIDGE_ROUTES).map((r) => r.path))],
      deregistrationDelay: Duration.seconds(DEREGISTRATION_DELAY_SECONDS),
      healthCheck: {
        path: BRIDGE_ROUTES.health.path,
        healthyHttpCodes: '200',
        interval: Duration.seconds(15),
        timeout: Duration.seconds(5),
        healthyThresholdCount: 2,
        unhealthyThresholdCount: 3,
      },
    });
    // Only the load balancer may reach the tasks.
    this.service.connections.allowFrom(this.loadBalancer, Port.tcp(BRIDGE_PORT), 'bridge from the ALB');

    // Average over all tasks' reports of the last minute: the mean number of calls per task.
    this.activeCallsMetric = new Metric({
      namespace: METRICS_NAMESPACE,
      metricName: BRIDGE_METRICS.activeCalls,
      dimensionsMap: { service: props.serviceName },
      statistic: 'Average',
      period: Duration.minutes(1),
    });
    const scaling = this.service.autoScaleTaskCount({
      minCapacity: props.minTasks,
      maxCapacity: props.maxTasks,
    });
    scaling.scaleToTrackCustomMetric('ActiveCallsPerTask', {
      metric: this.activeCallsMetric,
      targetValue: props.targetCallsPerTask,
      scaleOutCooldown: Duration.minutes(1),
      // Scale-in only removes tasks without calls (the others are protected), so it can be patient.
      scaleInCooldown: Duration.minutes(5),
    });

    if (props.hostedZone) {
      new ARecord(this, 'AliasRecord', {
        zone: props.hostedZone,
        recordName: props.domainName,
        target: RecordTarget.fromAlias(new LoadBalancerTarget(this.loadBalancer)),
      });
    }
  }
}
