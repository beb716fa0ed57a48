import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { buildRuntime, lazily, mergeUnder, providerFlagFor } from '../../functions/runtime.js';
import { readSecretEnvironment } from '../../services/adapters/secrets-manager/secret-environment.js';
import { ConfigError } from '../../services/core/config.js';
import { testEnv } from '../support/twilio.js';

const SECRET_ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:bolt-voice-AbCdEf';
const secrets = mockClient(SecretsManagerClient);

beforeEach(() => secrets.reset());

describe('readSecretEnvironment', () => {
  test('reads a JSON object of names to values; non-strings become strings', async () => {
    // Prepare
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({
        TWILIO_AUTH_TOKEN: 'from-secret',
        ENGINE_CONNECT_TIMEOUT_MS: 2500,
        GOOGLE_SERVICE_ACCOUNT_JSON: { client_email: 'svc@example.iam.gserviceaccount.com' },
        UNSET: null,
      }),
    });
    // Act
    const env = await readSecretEnvironment(new SecretsManagerClient({}), SECRET_ARN);
    // Assess
    expect(env).toEqual({
      TWILIO_AUTH_TOKEN: 'from-secret',
      ENGINE_CONNECT_TIMEOUT_MS: '2500',
      GOOGLE_SERVICE_ACCOUNT_JSON: '{"client_email":"svc@example.iam.gserviceaccount.com"}',
    });
  });

  test.each([
    ['not JSON', 'TWILIO_AUTH_TOKEN=abc', /is not JSON/],
    ['a JSON array', '["a"]', /not a JSON object/],
  ])('refuses a secret that is %s, without echoing it', async (_case, SecretString, message) => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString });
    const read = readSecretEnvironment(new SecretsManagerClient({}), SECRET_ARN);
    await expect(read).rejects.toThrow(message);
    await expect(read).rejects.not.toThrow(/abc/);
  });
});

describe('buildRuntime', () => {
  test('merges the secret under the environment: the environment wins, empty values count as unset', async () => {
    secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
      SecretString: JSON.stringify({
        TWILIO_AUTH_TOKEN: 'token-from-secret',
        TWILIO_PHONE_NUMBER: '+15559990000',
        BUSINESS_NAME: 'Secret Plumbing',
        VOICE_PROVIDER: 'openai',
      }),
    });
    const env = testEnv({ SECRETS_ARN: SECRET_ARN, BUSINESS_NAME: 'Env Plumbing', VOICE_PROVIDER: '' });
    delete (env as Record<string, string | undefined>).TWILIO_AUTH_TOKEN;

    const runtime = await buildRuntime(env, { secretsManager: new SecretsManagerClient({}) });

    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(runtime.config.twilio.authToken).toBe('token-from-secret');
    expect(runtime.config.twilio.phoneNumber).toBe('+15550001111');
    expect(runtime.config.business.name).toBe('Env Plumbing');
    expect(runtime.config.voiceProvider).toBe('openai');
    expect(await runtime.providerFlag.current()).toBe('openai');
  });

  test('without SECRETS_ARN no secret is read', async () => {
    const runtime = await buildRuntime(testEnv(), { secretsManager: new SecretsManagerClient({}) });
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 0);
    expect(runtime.config.twilio.authToken).toBe('test-auth-token');
  });

  test('a required value in neither place stops the start with a ConfigError naming it', async () => {
    secrets.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    const env: Record<string, string | undefined> = testEnv({ SECRETS_ARN: SECRET_ARN });
    delete env.TWILIO_AUTH_TOKEN;
    const build = buildRuntime(env, { secretsManager: new SecretsManagerClient({}) });
    await expect(build).rejects.toThrow(ConfigError);
    await expect(build).rejects.toThrow(/TWILIO_AUTH_TOKEN is required/);
  });
});

describe('mergeUnder', () => {
  test('keeps base values, fills the rest from under', () => {
    expect(mergeUnder({ A: '1', B: '', C: undefined }, { A: 'x', B: 'y', C: 'z', D: 'w' })).toEqual({
      A: '1',
      B: 'y',
      C: 'z',
      D: 'w',
    });
  });
});

describe('providerFlagFor', () => {
  test('answers the configured provider', async () => {
    const runtime = await buildRuntime(testEnv({ VOICE_PROVIDER: 'openai' }));
    expect(await providerFlagFor(runtime.config).current()).toBe('openai');
  });
});

describe('lazily', () => {
  test('builds once, and again after a failure', async () => {
    let builds = 0;
    const get = lazily(async () => {
      builds += 1;
      if (builds === 1) throw new Error('first try fails');
      return builds;
    });
    await expect(get()).rejects.toThrow('first try fails');
    expect(await get()).toBe(2);
    expect(await get()).toBe(2);
    expect(builds).toBe(2);
  });
});
