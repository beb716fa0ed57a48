import {
  CreateSecretCommand,
  DescribeSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  GetParameterCommand,
  ParameterAlreadyExists,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { reportLine } from '../../scripts/ops/deployment.js';
import { setup } from '../../scripts/setup.js';
import { REQUIRED_SECRET_KEYS } from '../../services/core/shared/secret-keys.js';

const secrets = mockClient(SecretsManagerClient);
const ssm = mockClient(SSMClient);
const clients = () => ({ secretsManager: new SecretsManagerClient({}), ssm: new SSMClient({}) });
const NAMES = { secretName: 'bolt-voice/dev', providerParameterName: '/bolt-voice/dev/voice-provider' };

const complete = (): Record<string, unknown> => ({
  ...Object.fromEntries(REQUIRED_SECRET_KEYS.map((k) => [k, `value-of-${k}`])),
  GOOGLE_SERVICE_ACCOUNT_JSON: { client_email: 'bolt@project.iam.gserviceaccount.com' },
});

beforeEach(() => {
  secrets.reset();
  ssm.reset();
  ssm.on(PutParameterCommand).resolves({ Version: 1 });
});

describe('npm run setup', () => {
  test('creates the secret with every key and the provider flag as elevenlabs, printing no value', async () => {
    secrets
      .on(DescribeSecretCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    secrets.on(CreateSecretCommand).resolves({});

    const results = await setup(clients(), { ...NAMES, secretJson: JSON.stringify(complete()) });

    expect(results.every((r) => r.ok)).toBe(true);
    const created = secrets.commandCalls(CreateSecretCommand)[0]?.args[0].input;
    expect(created?.Name).toBe('bolt-voice/dev');
    const stored = JSON.parse(created?.SecretString ?? '{}') as Record<string, string>;
    expect(Object.keys(stored).sort()).toEqual([...REQUIRED_SECRET_KEYS].sort());
    expect(JSON.parse(stored.GOOGLE_SERVICE_ACCOUNT_JSON ?? '')).toEqual({
      client_email: 'bolt@project.iam.gserviceaccount.com',
    });
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: '/bolt-voice/dev/voice-provider',
      Value: 'elevenlabs',
      Type: 'String',
      AllowedPattern: '^(elevenlabs|openai)$',
      Overwrite: false,
    });
    const printed = results.map(reportLine).join('\n');
    expect(printed).toMatch(/^ok {4}secret bolt-voice\/dev: created with 9 keys/m);
    expect(printed).not.toContain('value-of-');
  });

  test('updates an existing secret with the file’s keys over the ones it holds (rotating one key)', async () => {
    secrets.on(DescribeSecretCommand).resolves({ Name: 'bolt-voice/dev' });
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(complete()) });
    secrets.on(PutSecretValueCommand).resolves({});

    const results = await setup(clients(), {
      ...NAMES,
      secretJson: JSON.stringify({ TWILIO_AUTH_TOKEN: 'rotated' }),
    });

    expect(results[0]).toMatchObject({
      ok: true,
      detail: expect.stringContaining('updated TWILIO_AUTH_TOKEN'),
    });
    const stored = JSON.parse(
      secrets.commandCalls(PutSecretValueCommand)[0]?.args[0].input.SecretString ?? '{}',
    ) as Record<string, string>;
    expect(stored.TWILIO_AUTH_TOKEN).toBe('rotated');
    expect(stored.RESEND_API_KEY).toBe('value-of-RESEND_API_KEY');
    expect(secrets).toHaveReceivedCommandTimes(CreateSecretCommand, 0);
  });

  test('writes nothing when a required key would be missing or empty, and names it', async () => {
    secrets
      .on(DescribeSecretCommand)
      .rejects(new ResourceNotFoundException({ message: 'not found', $metadata: {} }));
    const incomplete: Record<string, unknown> = { ...complete(), RESEND_API_KEY: ' ' };
    delete incomplete.SUPABASE_URL;

    const [secret] = await setup(clients(), { ...NAMES, secretJson: JSON.stringify(incomplete) });

    expect(secret?.ok).toBe(false);
    expect(reportLine(secret ?? { name: '', ok: true, detail: '' })).toMatch(
      /^FAIL {2}secret bolt-voice\/dev: nothing written: SUPABASE_URL, RESEND_API_KEY are missing or empty — fix: /,
    );
    expect(secrets).toHaveReceivedCommandTimes(CreateSecretCommand, 0);
    expect(secrets).toHaveReceivedCommandTimes(PutSecretValueCommand, 0);
  });

  test('keeps a provider flag the operator already set', async () => {
    secrets.on(DescribeSecretCommand).resolves({});
    secrets.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(complete()) });
    secrets.on(PutSecretValueCommand).resolves({});
    ssm.on(PutParameterCommand).rejects(new ParameterAlreadyExists({ message: 'exists', $metadata: {} }));
    ssm.on(GetParameterCommand).resolves({ Parameter: { Value: 'openai' } });

    const [, flag] = await setup(clients(), { ...NAMES, secretJson: '{}' });

    expect(flag).toMatchObject({ ok: true, detail: 'exists, kept as openai' });
    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 1);
  });

  test('refuses a file that is not a JSON object', async () => {
    await expect(setup(clients(), { ...NAMES, secretJson: 'TWILIO_AUTH_TOKEN=x' })).rejects.toThrow(
      /not JSON/,
    );
  });
});
