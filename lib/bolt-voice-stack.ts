import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { HostedZone } from 'aws-cdk-lib/aws-route53';
import type { Construct } from 'constructs';
import {
  BRIDGE_ROUTES,
  routeUrl,
  WEBHOOK_ROUTES,
  type WebhookRouteId,
} from '../services/core/shared/routes.js';
import { BridgeService } from './bridge-service.js';
import { CallTable } from './call-table.js';
import type { BoltVoiceConfig } from './config.js';
import { LambdaFunctions } from './lambda-functions.js';
import { Monitoring } from './monitoring.js';
import { acknowledgeWildcardResource } from './nag.js';
import { Recordings } from './recordings.js';
import { Schedules } from './schedules.js';
import { Settings } from './settings.js';
import { WebhookApi } from './webhook-api.js';
import { WebhookRetries } from './webhook-retries.js';

export interface BoltVoiceStackProps extends StackProps {
  readonly config: BoltVoiceConfig;
}

/** The whole system in one stack; it only composes the constructs of lib/. Construct ids are stable. */
export class BoltVoiceStack extends Stack {
  constructor(scope: Construct, id: string, props: BoltVoiceStackProps) {
    super(scope, id, props);
    const { config } = props;
    const logRetention = config.logRetentionDays as RetentionDays;
    const hostedZone = config.hostedZone
      ? HostedZone.fromHostedZoneAttributes(this, 'HostedZone', config.hostedZone)
      : undefined;
    const streamUrl = routeUrl(`wss://${config.bridgeDomainName}`, BRIDGE_ROUTES.mediaStream);

    // Non-secret settings, the same names the services read (DESIGN §3 Configuration).
    const shared: Record<string, string> = {
      STREAM_URL: streamUrl,
      TWILIO_PHONE_NUMBER: config.twilioPhoneNumber,
      BUSINESS_NAME: config.business.name,
      BUSINESS_TIMEZONE: config.business.timeZone,
      BUSINESS_HOURS: config.business.hours,
      OWNER_EMAIL: config.ownerEmail,
      EMAIL_FROM: config.emailFrom,
      OUTBOUND_ALLOWED_COUNTRIES: config.outboundAllowedCountries.join(','),
      ...(config.ownerPhone ? { OWNER_PHONE: config.ownerPhone } : {}),
      SMS_ENABLED: String(config.sms.enabled),
      ...(config.sms.from ? { SMS_FROM: config.sms.from } : {}),
      ...(config.sms.messagingServiceSid
        ? { SMS_MESSAGING_SERVICE_SID: config.sms.messagingServiceSid }
        : {}),
      GOOGLE_CALENDAR_ID: config.googleCalendarId,
    };

    const settings = new Settings(this, 'Settings', { stage: config.stage, secretName: config.secretName });
    const calls = new CallTable(this, 'CallTable');
    acknowledgeWildcardResource(
      this,
      `${calls.table.tableArn}/index/*`,
      "Table grants include the call table's own indexes (the sweeper's sparse index); still only that one table.",
    );
    const functions = new LambdaFunctions(this, 'Functions', {
      stage: config.stage,
      table: calls.table,
      secret: settings.secret,
      secretName: config.secretName,
      providerFlag: settings.providerFlag,
      environment: shared,
      logRetention,
    });
    const api = new WebhookApi(this, 'WebhookApi', {
      routes: functions.routed(),
      throttle: config.apiThrottle,
      logRetention,
      customDomain: config.api ? { ...config.api, hostedZone } : undefined,
    });
    for (const fn of functions.all) fn.addEnvironment('PUBLIC_URL', api.publicUrl);

    const bridgeServiceName = `bolt-voice-${config.stage}-bridge`;
    const bridge = new BridgeService(this, 'Bridge', {
      serviceName: bridgeServiceName,
      domainName: config.bridgeDomainName,
      certificateArn: config.certificateArn,
      hostedZone,
      table: calls.table,
      providerFlag: settings.providerFlag,
      businessProfile: settings.businessProfile,
      secret: settings.secret,
      secretName: config.secretName,
      environment: { ...shared, PUBLIC_URL: api.publicUrl },
      cpu: config.bridge.cpu,
      memoryMiB: config.bridge.memoryMiB,
      minTasks: config.bridge.minTasks,
      maxTasks: config.bridge.maxTasks,
      targetCallsPerTask: config.bridge.targetCallsPerTask,
      logRetention,
    });

    // Always there (empty while RECORD_CALLS is off), so turning recording on or off is a setting.
    const recordings = new Recordings(this, 'Recordings', { retentionDays: config.recordingRetentionDays });
    recordings.grantWrite(bridge.taskRole);
    bridge.container.addEnvironment('RECORDINGS_BUCKET', recordings.bucket.bucketName);
    bridge.container.addEnvironment('RECORD_CALLS', config.recordCalls);
    for (const fn of functions.finalisers) {
      recordings.grantLink(fn, (name, value) => fn.addEnvironment(name, value));
    }

    new WebhookRetries(this, 'WebhookRetries', {
      consumer: functions.webhookRetryFunction,
      producers: functions.finalisers,
    });

    const schedules = new Schedules(this, 'Schedules', {
      digestFunction: functions.digestFunction,
      callbackFunction: functions.callbackFunction,
      timeZone: config.business.timeZone,
      digestTime: config.digestTime,
      finalisationSweepFunction: functions.finalisationSweepFunction,
    });
    // The agent's schedule_callback tool runs on the bridge: it creates the same one-time schedules.
    schedules.allowCreatingCallbacks(bridge.taskRole, (name, value) =>
      bridge.container.addEnvironment(name, value),
    );

    const monitoring = new Monitoring(this, 'Monitoring', {
      stage: config.stage,
      alarmEmail: config.alarmEmail,
      functions: functions.all,
      signedWebhookFunctions: functions
        .routed()
        .flatMap(({ fn, route }) => (route.auth === 'iam' ? [] : [fn])),
      functionsServiceName: `bolt-voice-${config.stage}`,
      api: api.api,
      apiAccessLogs: api.accessLogs,
      fallbackFunction: functions.byId.TwilioFallback,
      bridge: {
        serviceName: bridgeServiceName,
        service: bridge.service,
        logGroup: bridge.logGroup,
        loadBalancer: bridge.loadBalancer,
        targetGroup: bridge.targetGroup,
        activeCallsMetric: bridge.activeCallsMetric,
        targetCallsPerTask: config.bridge.targetCallsPerTask,
      },
      scheduleDeadLetterQueue: schedules.deadLetterQueue,
    });

    new CfnOutput(this, 'PublicUrl', {
      value: api.publicUrl,
      description: 'PUBLIC_URL: base of the webhooks',
    });
    // Where each webhook is: the values to paste into the Twilio number, ElevenLabs and `npm run call`.
    const routeOutputs: Record<string, [route: WebhookRouteId, description?: string]> = {
      TwilioVoiceWebhook: ['InboundCall', 'Twilio number: "A call comes in" webhook (HTTP POST)'],
      TwilioFallbackUrl: [
        'TwilioFallback',
        'Twilio number: "Primary handler fails" URL (HTTP POST): an apology and a callback promise',
      ],
      TwilioStatusCallback: ['CallStatus', 'Twilio number: call status changes callback (HTTP POST)'],
      TwilioSmsWebhook: [
        'InboundSms',
        'Twilio number: "A message comes in" webhook (HTTP POST): replies kept and forwarded',
      ],
      ElevenLabsPostCallWebhook: ['PostCall'],
      CallsEndpoint: ['PlaceCall', 'POST /calls (SigV4): `npm run call -- +1…` uses it'],
    };
    for (const [id, [route, description]] of Object.entries(routeOutputs)) {
      new CfnOutput(this, id, { value: routeUrl(api.publicUrl, WEBHOOK_ROUTES[route]), description });
    }
    if (api.domain) {
      new CfnOutput(this, 'ApiDomainTarget', {
        value: api.domain.regionalDomainName,
        description: `Point ${config.api?.domainName} here (CNAME) if no hostedZone is configured`,
      });
    }
    new CfnOutput(this, 'StreamUrl', { value: streamUrl });
    new CfnOutput(this, 'BridgeLoadBalancerDns', {
      value: bridge.loadBalancer.loadBalancerDnsName,
      description: `Point ${config.bridgeDomainName} here (CNAME or alias) if no hostedZone is configured`,
    });
    new CfnOutput(this, 'SecretName', { value: config.secretName });
    new CfnOutput(this, 'RecordingsBucketName', { value: recordings.bucket.bucketName });
    new CfnOutput(this, 'BridgeHealthUrl', {
      value: routeUrl(`https://${config.bridgeDomainName}`, BRIDGE_ROUTES.health),
      description: 'The bridge health check through the load balancer',
    });
    new CfnOutput(this, 'ProviderParameterName', { value: settings.providerFlag.parameterName });
    new CfnOutput(this, 'BusinessProfileParameterName', { value: settings.businessProfile.parameterName });
    new CfnOutput(this, 'BridgeClusterName', { value: bridge.cluster.clusterName });
    new CfnOutput(this, 'BridgeServiceName', { value: bridge.service.serviceName });
    new CfnOutput(this, 'DashboardName', { value: monitoring.dashboard.dashboardName });
  }
}
