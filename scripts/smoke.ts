/**
 * `npm run smoke -- [--stack BoltVoice-dev] [--region eu-west-1]`: after a deploy, checks what can be
 * checked without a phone, one line each, `ok` or `FAIL` with the fix:
 * the stack's outputs, /health through the load balancer, every webhook route refusing an unsigned
 * request, the secret holding every required key, the provider flag readable and valid, and the
 * bridge service's running tasks. Exits 1 when anything failed.
 */
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { DescribeServicesCommand, ECSClient } from '@aws-sdk/client-ecs';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { routeKey, routeUrl, webhookRoutes } from '../services/core/routes.js';
import { missingSecretKeys } from '../services/core/secret-keys.js';
import { ENGINE_NAMES } from '../services/core/voice-engine.js';
import { type CheckResult, deploymentDefaults, reportLine, stackOutputs } from './ops/deployment.js';

/** The outputs the checks and the deploy guide use (lib/bolt-voice-stack.ts). */
export const REQUIRED_OUTPUTS = [
  'PublicUrl',
  'TwilioVoiceWebhook',
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
  results.push(await checkHealth(http, outputs, timeoutMs));
  for (const [, route] of webhookRoutes()) {
    results.push(await checkRefusesUnsigned(http, outputs, route, timeoutMs));
  }
  results.push(await checkSecret(deps.secretsManager, outputs.SecretName));
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

async function checkRefusesUnsigned(
  http: typeof fetch,
  outputs: Record<string, string>,
  route: { method: string; path: string; auth: string },
  timeoutMs: number,
): Promise<CheckResult> {
  const name = `${routeKey(route)} refuses an unsigned request`;
  const base = outputs.PublicUrl;
  if (!base) return { name, ok: false, detail: 'no PublicUrl output', fix: 'npx cdk deploy' };
  const url = routeUrl(base, route);
  try {
    const response = await http(url, {
      method: route.method,
      headers: {
        'content-type': route.auth === 'iam' ? 'application/json' : 'application/x-www-form-urlencoded',
      },
      body: route.auth === 'iam' ? '{}' : 'CallSid=CA00000000000000000000000000000000',
      signal: AbortSignal.timeout(timeoutMs),
    });
    await response.arrayBuffer();
    // 401/403: the handler (or API Gateway's IAM check) verified and refused. Anything else is wrong.
    if (response.status === 401 || response.status === 403) {
      return { name, ok: true, detail: String(response.status) };
    }
    const fix =
      response.status === 404
        ? 'the route is missing: deploy this version of the stack'
        : response.status >= 500
          ? 'the function fails before it verifies: read its log group (a missing setting or secret key)'
          : 'an unsigned request was accepted: the handler must verify the signature';
    return { name, ok: false, detail: `${url} answered ${response.status}`, fix };
  } catch (error) {
    return {
      name,
      ok: false,
      detail: `${url}: ${(error as Error).message}`,
      fix: 'check PublicUrl and the API',
    };
  }
}

async function checkSecret(
  client: SecretsManagerClient,
  secretName: string | undefined,
): Promise<CheckResult> {
  const name = `secret ${secretName ?? '(no SecretName output)'} holds every required key`;
  const fix = 'npm run setup -- --secret-file secret.json (adds the missing keys, keeps the others)';
  if (!secretName) return { name, ok: false, detail: 'no SecretName output', fix: 'npx cdk deploy' };
  try {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: secretName }));
    const values = JSON.parse(SecretString ?? '{}') as Record<string, unknown>;
    const missing = missingSecretKeys(values);
    return missing.length === 0
      ? { name, ok: true, detail: `${Object.keys(values).length} keys` }
      : { name, ok: false, detail: `missing or empty: ${missing.join(', ')}`, fix };
  } catch (error) {
    return { name, ok: false, detail: (error as Error).message, fix };
  }
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
