/**
 * `npm run setup -- --secret-file secret.json [--stage dev] [--region eu-west-1] [--secret-name …]`:
 * what must exist before the first `cdk deploy`, created with the AWS SDK and the CLI's credentials.
 *
 * - The secret (`bolt-voice/<stage>`): created from the file, or, when it exists, updated with the
 *   file's keys over the ones it holds (a file with one key rotates just that key). Every required
 *   key must be set afterwards, or nothing is written. The stack imports the secret by name, so the
 *   template never holds, or overwrites, a value.
 * - The provider flag (`/bolt-voice/<stage>/voice-provider`): created as `elevenlabs` only if it does
 *   not exist; a value the operator set is kept. No deploy writes it.
 *
 * It prints key names, never values. Delete the file afterwards.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { ENGINE_NAME_PATTERN } from '../services/core/shared/engines.js';
import { missingSecretKeys, SECRET_KEYS } from '../services/core/shared/secret-keys.js';
import { type CheckResult, deploymentDefaults, errorName, reportLine } from './ops/deployment.js';

export const DEFAULT_PROVIDER = 'elevenlabs';
export const PROVIDER_PATTERN = ENGINE_NAME_PATTERN;

export interface SetupOptions {
  secretName: string;
  providerParameterName: string;
  /** The secret file's content: a JSON object of key names to values. */
  secretJson: string;
}

export interface SetupClients {
  secretsManager: SecretsManagerClient;
  ssm: SSMClient;
}

/** Parses the file: string values (a nested object, such as the Google key, becomes its JSON). */
export function parseSecretFile(text: string): Record<string, string> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error('The secret file is not JSON (expected {"TWILIO_ACCOUNT_SID": "AC…", …})');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new Error('The secret file must be a JSON object of key names to values');
  }
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value === null || value === undefined) continue;
    values[key] = typeof value === 'object' ? JSON.stringify(value) : String(value);
  }
  return values;
}

export async function setup(clients: SetupClients, options: SetupOptions): Promise<CheckResult[]> {
  return [await putSecret(clients.secretsManager, options), await createFlagIfAbsent(clients.ssm, options)];
}

async function putSecret(client: SecretsManagerClient, options: SetupOptions): Promise<CheckResult> {
  const name = `secret ${options.secretName}`;
  const fromFile = parseSecretFile(options.secretJson);
  const unknown = Object.keys(fromFile).filter((k) => !(SECRET_KEYS as readonly string[]).includes(k));
  const exists = await client.send(new DescribeSecretCommand({ SecretId: options.secretName })).then(
    () => true,
    (error: unknown) => {
      if (errorName(error) === 'ResourceNotFoundException') return false;
      throw error;
    },
  );
  let current: Record<string, string> = {};
  if (exists) {
    const { SecretString } = await client.send(new GetSecretValueCommand({ SecretId: options.secretName }));
    current = SecretString ? parseSecretFile(SecretString) : {};
  }
  const merged = { ...current, ...fromFile };
  const missing = missingSecretKeys(merged);
  if (missing.length > 0) {
    return {
      name,
      ok: false,
      detail: `nothing written: ${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} missing or empty`,
      fix: 'add them to the secret file and run setup again',
    };
  }
  const note = unknown.length > 0 ? ` (not read by the app: ${unknown.join(', ')})` : '';
  const secretString = JSON.stringify(merged);
  if (!exists) {
    await client.send(
      new CreateSecretCommand({
        Name: options.secretName,
        Description: 'Bolt Voice provider, Twilio, Supabase, Google and Resend keys',
        SecretString: secretString,
      }),
    );
    return { name, ok: true, detail: `created with ${Object.keys(merged).length} keys${note}` };
  }
  await client.send(new PutSecretValueCommand({ SecretId: options.secretName, SecretString: secretString }));
  return {
    name,
    ok: true,
    detail: `updated ${Object.keys(fromFile).join(', ')}; kept ${Object.keys(current).filter((k) => !(k in fromFile)).length} other keys${note}. Lambdas see it within 5 min; restart the bridge for it to see it`,
  };
}

async function createFlagIfAbsent(client: SSMClient, options: SetupOptions): Promise<CheckResult> {
  const name = `provider flag ${options.providerParameterName}`;
  try {
    await client.send(
      new PutParameterCommand({
        Name: options.providerParameterName,
        Value: DEFAULT_PROVIDER,
        Type: 'String',
        AllowedPattern: PROVIDER_PATTERN,
        Description:
          'Voice engine for new calls: elevenlabs (default) or openai. Read per call, cached <= 10 s.',
        Overwrite: false,
      }),
    );
    return { name, ok: true, detail: `created as ${DEFAULT_PROVIDER}` };
  } catch (error) {
    if (errorName(error) !== 'ParameterAlreadyExists') throw error;
    const { Parameter } = await client.send(new GetParameterCommand({ Name: options.providerParameterName }));
    return { name, ok: true, detail: `exists, kept as ${Parameter?.Value ?? '(unreadable)'}` };
  }
}

async function main(): Promise<void> {
  const defaults = deploymentDefaults();
  const { values } = parseArgs({
    options: {
      'secret-file': { type: 'string' },
      stage: { type: 'string' },
      region: { type: 'string' },
      'secret-name': { type: 'string' },
    },
  });
  if (!values['secret-file'])
    throw new Error('Usage: npm run setup -- --secret-file secret.json [--stage dev]');
  const stage = values.stage ?? defaults.stage;
  const region = values.region ?? process.env.AWS_REGION ?? defaults.region;
  const results = await setup(
    { secretsManager: new SecretsManagerClient({ region }), ssm: new SSMClient({ region }) },
    {
      secretName: values['secret-name'] ?? (values.stage ? `bolt-voice/${stage}` : defaults.secretName),
      providerParameterName: `/bolt-voice/${stage}/voice-provider`,
      secretJson: readFileSync(values['secret-file'], 'utf8'),
    },
  );
  for (const result of results) console.log(reportLine(result));
  if (results.some((r) => !r.ok)) process.exit(1);
}

if (require.main === module) {
  main().catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
