/**
 * `npm run smoke -- [--stack BoltVoice-dev] [--region eu-west-1]`: after a deploy, checks what can be
 * checked without a phone, one line each, `ok` or `FAIL` with the fix:
 * the stack's outputs, /health through the load balancer, every webhook route answering a request
 * signed as its caller signs (with the keys in the secret) without acting on it, `POST /calls`
 * refusing an unsigned request, the secret holding every required key, the provider flag readable
 * and valid, and the bridge service's running tasks. Exits 1 when anything failed.
 *
 * A smoke run never pages: the webhooks get signed requests (an unsigned one would be counted by
 * the WebhookSignatureRefusals alarm), with a form or body that names no call, so the handler checks
 * the signature, refuses the form (400) and writes nothing; the fallback URL answers its apology
 * (200), as it does for anything signed. `POST /calls` is refused by API Gateway's IAM check, which
 * no function logs.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { signElevenLabsWebhook } from '../services/adapters/elevenlabs/webhook-signature.js';
import { signTwilioWebhook } from '../services/adapters/twilio/webhook-signature.js';
import { ENGINE_NAMES } from '../services/core/shared/engines.js';
import { routeKey, routeUrl, type WebhookRoute, webhookRoutes } from '../services/core/shared/routes.js';
import { missingSecretKeys } from '../services/core/shared/secret-keys.js';
import { type CheckResult, deploymentDefaults, reportLine, stackOutputs } from './ops/deployment.js';

/** The outputs the checks and the deploy guide use (lib/bolt-voice-stack.ts). */
export const REQUIRED_OUTPUTS = [
  'PublicUrl',
  'TwilioVoiceWebhook',
  'TwilioFallbackUrl',
  'TwilioStatusCallback',
  'ElevenLabsPostCallWebhook',
  'CallsEndpoint',
  'StreamUrl',
  'BridgeHealthUrl',
  'BridgeLoadBalancerDns',
  'SecretName',
  'ProviderParameterName',
  'BridgeClusterName',
  'BridgeServiceName',
  'DashboardName',
] as const;

export interface SmokeDeps {
  cloudformation: CloudFormationClient;
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
  ecs: ECSClient;
  fetch?: typeof fetch;
  /** Per HTTP check; a dead load balancer must not hang the run. */
  timeoutMs?: number;
}

export async function runSmoke(deps: SmokeDeps, stackName: string): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  let outputs: Record<string, string>;
  try {
    const stack = await stackOutputs(deps.cloudformation, stackName);
    outputs = stack.outputs;
    const missing = REQUIRED_OUTPUTS.filter((key) => !outputs[key]);
    results.push(
      missing.length === 0
        ? {
            name: 'stack outputs',
            ok: true,
            detail: `${stackName} ${stack.status}, ${REQUIRED_OUTPUTS.length} outputs`,
          }
        : {
            name: 'stack outputs',
            ok: false,
            detail: `${stackName} ${stack.status} lacks ${missing.join(', ')}`,
            fix: 'deploy this version of the stack: npx cdk deploy',
          },
    );
  } catch (error) {
    return [
      {
        name: 'stack outputs',
        ok: false,
        detail: (error as Error).message,
        fix: 'check your AWS credentials (aws sts get-caller-identity), --stack and --region (or AWS_REGION), and that `npx cdk deploy` finished',
      },
    ];
  }

  const http = deps.fetch ?? fetch;
  const timeoutMs = deps.timeoutMs ?? 10_000;
  const secret = await readSecret(deps.secretsManager, outputs.SecretName);
  results.push(await checkHealth(http, outputs, timeoutMs));
  for (const [, route] of webhookRoutes()) {
    const probe = route.auth === 'iam' ? unsignedProbe : signedProbe(route, secret);
    results.push(await checkRoute(http, outputs, route, probe, timeoutMs));
  }
  results.push(checkSecret(outputs.SecretName, secret));
  results.push(await checkFlag(deps.ssm, outputs.ProviderParameterName));
  results.push(await checkBridgeService(deps.ecs, outputs.BridgeClusterName, outputs.BridgeServiceName));
  return results;
}

async function checkHealth(
  http: typeof fetch,
  outputs: Record<string, string>,
  timeoutMs: number,
): Promise<CheckResult> {
  const name = '/health through the load balancer';
  const url = outputs.BridgeHealthUrl;
  if (!url) return { name, ok: false, detail: 'no BridgeHealthUrl output', fix: 'npx cdk deploy' };
  try {
    const response = await http(url, { signal: AbortSignal.timeout(timeoutMs) });
    const body = await response.text();
    if (response.status === 200 && /"status":"ok"/.test(body))
      return { name, ok: true, detail: `200 ${body}` };
    return {
      name,
      ok: false,
      detail: `${url} answered ${response.status}`,
      fix:
        response.status === 503 || response.status === 502
          ? 'no healthy bridge task: read the bridge log group and `aws ecs describe-services` events (a missing secret key stops the task)'
          : 'the name must reach this stack’s load balancer: check the DNS record for the bridge domain',
    };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${url}: ${(error as Error).message}`,
      fix: `create the DNS record: bridge domain → ${outputs.BridgeLoadBalancerDns ?? 'BridgeLoadBalancerDns'} (CNAME or alias), and wait for it to resolve`,
    };
  }
}

/** The secret's keys, or why they could not be read (one read serves the signing and the key check). */
type SecretRead = { values: Record<string, unknown> } | { error: string };

async function readSecret(client: SecretsManagerClient, secretName: string | undefined): Promise<SecretRead> {
  if (!secretName) return { error: 'no SecretName output' };
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    return { values: JSON.parse(SecretString ?? '{}') as Record<string, unknown> };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

function secretValue(secret: SecretRead, key: string): string | undefined {
  const value = 'values' in secret ? secret.values[key] : undefined;
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

/** A request signed as the route's caller signs it, naming no call; undefined when a key is missing. */
function signedRequest(
  url: string,
  route: WebhookRoute,
  secret: SecretRead,
): { headers: Record<string, string>; body: string } | { missing: string } {
  if (route.auth === 'elevenlabs-hmac') {
    const webhookSecret = secretValue(secret, 'ELEVENLABS_WEBHOOK_SECRET');
    if (!webhookSecret) return { missing: 'ELEVENLABS_WEBHOOK_SECRET' };
    const body = '{}';
    return {
      headers: {
        'content-type': 'application/json',
        'elevenlabs-signature': signElevenLabsWebhook(webhookSecret, body, Math.floor(Date.now() / 1000)),
      },
      body,
    };
  }
  const accountSid = secretValue(secret, 'TWILIO_ACCOUNT_SID');
  const authToken = secretValue(secret, 'TWILIO_AUTH_TOKEN');
  if (!accountSid || !authToken) return { missing: 'TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN' };
  // Our account, and no CallSid: a verified request the handlers refuse as malformed (400).
  const form = { AccountSid: accountSid };
  return {
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-twilio-signature': signTwilioWebhook(authToken, url, form),
    },
    body: new URLSearchParams(form).toString(),
  };
}

/** How one route is probed: what is sent, and what answer passes. */
interface RouteProbe {
  /** The line's name after the route key. */
  what: string;
  /** The request to send, or the secret key it would need (then nothing is sent). */
  request(url: string): { headers: Record<string, string>; body: string } | { missing: string };
  passes(status: number): boolean;
  detail(status: number): string;
  /** The fix for another answer than 404 or 5xx (the same for every probe). */
  fix(status: number): string;
}

/** The webhooks: a request signed as their caller signs it, naming no call. */
function signedProbe(route: WebhookRoute, secret: SecretRead): RouteProbe {
  return {
    what: 'accepts a signed request',
    request: (url) => signedRequest(url, route, secret),
    // 400: verified, then refused as naming no call (nothing written); 200: the fallback's apology.
    passes: (status) => status === 400 || status === 200,
    detail: (status) => `${status} (signature verified, nothing written)`,
    fix: (status) =>
      status === 401 || status === 403
        ? route.auth === 'elevenlabs-hmac'
          ? 'the function refused our signature: ELEVENLABS_WEBHOOK_SECRET in the secret must be the one the function reads (Lambdas re-read the secret every 5 min)'
          : 'the function refused our signature: it verifies against PUBLIC_URL (the PublicUrl output) with TWILIO_AUTH_TOKEN from the secret; check that token is the account’s current auth token'
        : 'unexpected answer for a request naming no call',
  };
}

/** `POST /calls`: unsigned, refused by API Gateway's IAM check before any function runs. */
const unsignedProbe: RouteProbe = {
  what: 'refuses an unsigned request',
  request: () => ({ headers: { 'content-type': 'application/json' }, body: '{}' }),
  passes: (status) => status === 401 || status === 403,
  detail: (status) => String(status),
  fix: () => 'an unsigned request was accepted: the route must require IAM (SigV4)',
};

async function checkRoute(
  http: typeof fetch,
  outputs: Record<string, string>,
  route: WebhookRoute,
  probe: RouteProbe,
  timeoutMs: number,
): Promise<CheckResult> {
  const name = `${routeKey(route)} ${probe.what}`;
  const base = outputs.PublicUrl;
  if (!base) return { name, ok: false, detail: 'no PublicUrl output', fix: 'npx cdk deploy' };
  const url = routeUrl(base, route);
  const request = probe.request(url);
  if ('missing' in request) {
    // Never sent unsigned: the refusal would page the operator.
    return {
      name,
      ok: false,
      detail: `not sent: the secret has no ${request.missing} to sign with`,
      fix: 'npm run setup -- --secret-file secret.json (adds the missing keys, keeps the others)',
    };
  }
  try {
    const response = await http(url, {
      method: route.method,
      ...request,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    const { status } = response;
    if (probe.passes(status)) return { name, ok: true, detail: probe.detail(status) };
    const fix =
      status === 404
        ? 'the route is missing: deploy this version of the stack'
        : status >= 500
          ? 'the function fails before it verifies: read its log group (a missing setting or secret key)'
          : probe.fix(status);
    return { name, ok: false, detail: `${url} answered ${status}`, fix };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${url}: ${(error as Error).message}`,
      fix: 'check PublicUrl and the API',
    };
  }
}

function checkSecret(secretName: string | undefined, secret: SecretRead): CheckResult {
  const name = `secret ${secretName ?? '(no SecretName output)'} holds every required key`;
  const fix = 'npm run setup -- --secret-file secret.json (adds the missing keys, keeps the others)';
  if (!secretName) return { name, ok: false, detail: 'no SecretName output', fix: 'npx cdk deploy' };
  if ('error' in secret) return { name, ok: false, detail: secret.error, fix };
  const missing = missingSecretKeys(secret.values);
  return missing.length === 0
    ? { name, ok: true, detail: `${Object.keys(secret.values).length} keys` }
    : { name, ok: false, detail: `missing or empty: ${missing.join(', ')}`, fix };
}

async function checkFlag(client: SSMClient, parameterName: string | undefined): Promise<CheckResult> {
  const name = `provider flag ${parameterName ?? '(no ProviderParameterName output)'}`;
  if (!parameterName)
    return { name, ok: false, detail: 'no ProviderParameterName output', fix: 'npx cdk deploy' };
  try {
    const { Parameter } = await client.send(new GetParameterCommand({ Name: parameterName }));
    const value = Parameter?.Value ?? '';
    return (ENGINE_NAMES as readonly string[]).includes(value)
      ? { name, ok: true, detail: value }
      : {
          name,
          ok: false,
          detail: `"${value}" is not ${ENGINE_NAMES.join(' or ')}`,
          fix: `aws ssm put-parameter --name ${parameterName} --value elevenlabs --overwrite`,
        };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: (error as Error).message,
      fix: 'npm run setup -- --secret-file secret.json (creates the flag if absent)',
    };
  }
}

async function checkBridgeService(
  client: ECSClient,
  cluster: string | undefined,
  service: string | undefined,
): Promise<CheckResult> {
  const name = 'bridge service running';
  if (!cluster || !service)
    return { name, ok: false, detail: 'no cluster or service output', fix: 'npx cdk deploy' };
  const fix = `aws ecs describe-services --cluster ${cluster} --services ${service} (events), and the bridge log group`;
  try {
    const { services } = await client.send(new DescribeServicesCommand({ cluster, services: [service] }));
    const [found] = services ?? [];
    if (!found) return { name, ok: false, detail: `${service} not found in ${cluster}`, fix };
    const running = found.runningCount ?? 0;
    const desired = found.desiredCount ?? 0;
    return running >= 1 && running >= desired
      ? { name, ok: true, detail: `${running} of ${desired} tasks running` }
      : { name, ok: false, detail: `${running} of ${desired} tasks running`, fix };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, fix };
  }
}

async function main(): Promise<void> {
  const defaults = deploymentDefaults();
  const { values } = parseArgs({ options: { stack: { type: 'string' }, region: { type: 'string' } } });
  const region = values.region ?? process.env.AWS_REGION ?? defaults.region;
  const results = await runSmoke(
    {
      cloudformation: new CloudFormationClient({ region }),
      secretsManager: new SecretsManagerClient({ region }),
      ssm: new SSMClient({ region }),
      ecs: new ECSClient({ region }),
    },
    values.stack ?? defaults.stackName,
  );
  for (const result of results) console.log(reportLine(result));
  const failed = results.filter((r) => !r.ok).length;
  console.log(failed === 0 ? 'all checks passed' : `${failed} check(s) failed`);
  if (failed > 0) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
