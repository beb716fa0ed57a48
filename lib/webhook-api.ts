import { Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  type CfnStage,
  DomainName,
  HttpApi,
  HttpMethod,
  HttpNoneAuthorizer,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpIamAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Certificate } from 'aws-cdk-lib/aws-certificatemanager';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { ARecord, type IHostedZone, RecordTarget } from 'aws-cdk-lib/aws-route53';
import { ApiGatewayv2DomainProperties } from 'aws-cdk-lib/aws-route53-targets';
import { Construct } from 'constructs';
import type { WebhookRoute } from '../services/core/shared/routes.js';
import type { HouseFunction } from './house-function.js';

export interface WebhookApiProps {
  readonly routes: ReadonlyArray<{ fn: HouseFunction; route: WebhookRoute }>;
  readonly throttle: { rateLimit: number; burstLimit: number };
  readonly logRetention: RetentionDays;
  /** Optional custom domain; PUBLIC_URL becomes https://<domainName>. */
  readonly customDomain?: { domainName: string; certificateArn: string; hostedZone?: IHostedZone };
}

/**
 * The HTTP API in front of the webhook Lambdas (DESIGN §3 Routes). Twilio and ElevenLabs routes are
 * open at the gateway because their callers sign each request and the handler verifies it; POST /calls
 * needs SigV4 (IAM). One throttled `$default` stage with JSON access logs that hold no request bodies
 * (they carry phone numbers).
 */
export class WebhookApi extends Construct {
  public readonly api: HttpApi;
  public readonly stage: HttpStage;
  /** The base URL Twilio signs against (PUBLIC_URL), without a trailing slash. */
  public readonly publicUrl: string;
  /** The custom domain, when configured (its regionalDomainName is the DNS target). */
  public readonly domain?: DomainName;
  /** One JSON line per request (`status` included; no bodies). */
  public readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: WebhookApiProps) {
    super(scope, id);
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Bolt Voice webhooks (Twilio, ElevenLabs) and the operator calls API',
      createDefaultStage: false,
    });

    const accessLogs = new LogGroup(this, 'AccessLogs', { retention: props.logRetention });
    this.accessLogs = accessLogs;
    const domain = props.customDomain
      ? new DomainName(this, 'DomainName', {
          domainName: props.customDomain.domainName,
          certificate: Certificate.fromCertificateArn(this, 'Certificate', props.customDomain.certificateArn),
        })
      : undefined;

    this.stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: props.throttle,
      domainMapping: domain ? { domainName: domain } : undefined,
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            time: '$context.requestTime',
            ip: '$context.identity.sourceIp',
            userAgent: '$context.identity.userAgent',
            caller: '$context.identity.userArn',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latencyMs: '$context.responseLatency',
            integrationLatencyMs: '$context.integrationLatency',
            integrationStatus: '$context.integrationStatus',
            error: '$context.error.message',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });

    const routeSettings: Record<string, { ThrottlingRateLimit: number; ThrottlingBurstLimit: number }> = {};
    for (const { fn, route } of props.routes) {
      const limits = routeThrottle(route.path, props.throttle);
      routeSettings[`${route.method} ${route.path}`] = {
        ThrottlingRateLimit: limits.rateLimit,
        ThrottlingBurstLimit: limits.burstLimit,
      };
      const created = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration: new HttpLambdaIntegration(`${fn.node.id}Integration`, fn),
        authorizer: route.auth === 'iam' ? new HttpIamAuthorizer() : new HttpNoneAuthorizer(),
      });
      // Route settings name the route key: the stage may only be written once the routes exist.
      for (const r of created) this.stage.node.addDependency(r);
      if (route.auth !== 'iam') {
        for (const r of created) {
          Validations.of(r).acknowledge({
            id: 'AwsSolutions-APIG4',
            reason: `${route.path} is called by Twilio or ElevenLabs, which cannot use SigV4 or a token: the handler verifies X-Twilio-Signature (or the ElevenLabs HMAC and timestamp) before any side effect and answers 403 otherwise.`,
          });
        }
      }
    }

    // Each route its own bucket, so a flood on one (POST /calls, the post-call webhook) cannot
    // starve Twilio's webhooks; the stage default still caps a route added without settings.
    (this.stage.node.defaultChild as CfnStage).addPropertyOverride('RouteSettings', routeSettings);

    this.domain = domain;
    if (domain && props.customDomain?.hostedZone) {
      new ARecord(this, 'AliasRecord', {
        zone: props.customDomain.hostedZone,
        recordName: props.customDomain.domainName,
        target: RecordTarget.fromAlias(
          new ApiGatewayv2DomainProperties(domain.regionalDomainName, domain.regionalHostedZoneId),
        ),
      });
    }
    this.publicUrl = props.customDomain
      ? `https://${props.customDomain.domainName}`
      : `https://${this.api.apiId}.execute-api.${this.api.stack.region}.${this.api.stack.urlSuffix}`;
  }
}

/**
 * Per-route limits from the stage throttle: Twilio's routes get the whole of it (calls must never
 * wait), the ElevenLabs post-call webhook a fifth (one delivery per finished call), and the
 * operator's `POST /calls` a tenth (a person or a script placing calls one by one).
 */
export function routeThrottle(
  path: string,
  stage: { rateLimit: number; burstLimit: number },
): { rateLimit: number; burstLimit: number } {
  const share = path.startsWith('/twilio/') ? 1 : path.startsWith('/elevenlabs/') ? 5 : 10;
  return {
    rateLimit: Math.max(1, Math.floor(stage.rateLimit / share)),
    burstLimit: Math.max(1, Math.floor(stage.burstLimit / share)),
  };
}
