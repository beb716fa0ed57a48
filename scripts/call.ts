/**
 * `npm run call -- +15551234567 [--at 2026-12-02T10:00] [--reason "…"] [--name "…"] [--key …]
 *  [--stack BoltVoice-dev] [--region …] [--url https://…/calls]`: places (or schedules) a call through
 * the deployed `POST /calls`, signed with SigV4 by the AWS SDK's signer and the default credential
 * chain (environment, profile, SSO, instance role), so no other tool is needed. The endpoint is the
 * stack's `CallsEndpoint` output unless --url is given. The caller needs `execute-api:Invoke` on
 * that route (docs/deploy.md, Placing calls). It prints the API's answer; exit 1 on a refusal.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { CloudFormationClient } from '@aws-sdk/client-cloudformation';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@smithy/types';
import { deploymentDefaults, stackOutputs } from './ops/deployment.js';

export interface CallRequest {
  to: string;
  at?: string;
  reason?: string;
  name?: string;
  /** The same key never places two calls (a retried command is harmless); default: a fresh one. */
  idempotencyKey: string;
}

export interface SignedCallOptions {
  endpoint: string;
  region: string;
  credentials: AwsCredentialIdentity | AwsCredentialIdentityProvider;
  fetch?: typeof fetch;
}

/** The request as API Gateway's IAM authoriser checks it: service `execute-api`, the body hashed. */
export async function signedCallRequest(
  request: CallRequest,
  options: Pick<SignedCallOptions, 'endpoint' | 'region' | 'credentials'>,
  signingDate?: Date,
): Promise<{ url: string; init: RequestInit }> {
  const url = new URL(options.endpoint);
  const body = JSON.stringify(request);
  const signer = new SignatureV4({
    service: 'execute-api',
    region: options.region,
    credentials: options.credentials,
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: 'POST',
      protocol: url.protocol,
      hostname: url.hostname,
      port: url.port ? Number(url.port) : undefined,
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      headers: { host: url.host, 'content-type': 'application/json' },
      body,
    },
    { signingDate },
  );
  return { url: url.toString(), init: { method: 'POST', headers: signed.headers, body } };
}

export async function placeCallThroughApi(
  request: CallRequest,
  options: SignedCallOptions,
): Promise<{ status: number; body: string }> {
  const { url, init } = await signedCallRequest(request, options);
  const response = await (options.fetch ?? fetch)(url, init);
  return { status: response.status, body: await response.text() };
}

/** The region of an execute-api URL (`https://<id>.execute-api.<region>.amazonaws.com`). */
export function regionOfEndpoint(endpoint: string): string | undefined {
  return /\.execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(new URL(endpoint).hostname)?.[1];
}

async function main(): Promise<void> {
  const defaults = deploymentDefaults();
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      at: { type: 'string' },
      reason: { type: 'string' },
      name: { type: 'string' },
      key: { type: 'string' },
      stack: { type: 'string' },
      region: { type: 'string' },
      url: { type: 'string' },
    },
  });
  const [to] = positionals;
  if (!to) throw new Error('Usage: npm run call -- +15551234567 [--at 2026-12-02T10:00] [--reason "…"]');
  const region = values.region ?? process.env.AWS_REGION ?? defaults.region;
  let endpoint = values.url;
  if (!endpoint) {
    const stackName = values.stack ?? defaults.stackName;
    const { outputs } = await stackOutputs(new CloudFormationClient({ region }), stackName);
    endpoint = outputs.CallsEndpoint;
    if (!endpoint) throw new Error(`Stack ${stackName} has no CallsEndpoint output: deploy this version`);
  }
  const signingRegion = regionOfEndpoint(endpoint) ?? region;
  if (!signingRegion) throw new Error('Give --region (or AWS_REGION): the API’s region signs the request');
  const request: CallRequest = {
    to,
    idempotencyKey: values.key ?? `cli-${randomUUID()}`,
    ...(values.at ? { at: values.at } : {}),
    ...(values.reason ? { reason: values.reason } : {}),
    ...(values.name ? { name: values.name } : {}),
  };
  const { status, body } = await placeCallThroughApi(request, {
    endpoint,
    region: signingRegion,
    credentials: defaultProvider(),
  });
  console.log(`${status} ${body}`);
  console.log(`idempotency key ${request.idempotencyKey} (repeat with --key to retry without a second call)`);
  if (status >= 400) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
