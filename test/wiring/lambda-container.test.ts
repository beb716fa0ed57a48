import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  CachedSecretEnvironment,
  mergeUnder,
  readSecretEnvironment,
  SECRET_TTL_MS,
} from '../../services/adapters/secrets-manager/secret-environment.js';
import { ConfigError } from '../../services/core/shared/config.js';
import { buildRuntime, lazily } from '../../services/wiring/lambda-container.js';
import { providerFlagFor } from '../../services/wiring/parts/provider-flag.js';
import { cachedSecretFor } from '../../services/wiring/parts/secret.js';
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

describe('a rotated secret reaches a warm container within the TTL', () => {
  test('the TTL is 5 minutes (the runbook promises it)', () => {
    expect(SECRET_TTL_MS).toBe(5 * 60 * 1000);
  });

  test('the secret is re-read once it is older than the TTL; its version goes up only when it changed', async () => {
    const clock = { now: 0 };
    let value = { TWILIO_AUTH_TOKEN: 'old' };
    let reads = 0;
    const secret = new CachedSecretEnvironment(
      async () => {
        reads += 1;
        return { ...value };
      },
      SECRET_TTL_MS,
      () => clock.now,
    );
    expect(await secret.current()).toEqual({ environment: { TWILIO_AUTH_TOKEN: 'old' }, version: 1 });
    clock.now = SECRET_TTL_MS - 1;
    value = { TWILIO_AUTH_TOKEN: 'rotated' };
    expect((await secret.current()).version).toBe(1);
    expect(reads).toBe(1);
    clock.now = SECRET_TTL_MS;
    expect(await secret.current()).toEqual({ environment: { TWILIO_AUTH_TOKEN: 'rotated' }, version: 2 });
    clock.now = 2 * SECRET_TTL_MS;
    expect((await secret.current()).version).toBe(2);
    expect(reads).toBe(3);
  });

  test('a failed re-read keeps the keys already held; a failed first read is thrown', async () => {
    const clock = { now: 0 };
    let fail = false;
    const kept: Error[] = [];
    const secret = new CachedSecretEnvironment(
      async () => {
        if (fail) throw new Error('throttled');
        return { A: '1' };
      },
      1000,
      () => clock.now,
      (error) => kept.push(error),
    );
    await secret.current();
    fail = true;
    clock.now = 1000;
    expect(await secret.current()).toEqual({ environment: { A: '1' }, version: 1 });
    expect(kept.map((e) => e.message)).toEqual(['throttled']);

    const never = new CachedSecretEnvironment(async () => Promise.reject(new Error('no access')));
    await expect(never.current()).rejects.toThrow('no access');
  });

  test('what a handler built from the old secret is rebuilt on the first invocation after a rotation', async () => {
    const clock = { now: 0 };
    secrets
      .on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: JSON.stringify({ TWILIO_AUTH_TOKEN: 'old-token' }) })
      .resolves({ SecretString: JSON.stringify({ TWILIO_AUTH_TOKEN: 'new-token' }) });
    const env: Record<string, string | undefined> = testEnv({ SECRETS_ARN: SECRET_ARN });
    delete env.TWILIO_AUTH_TOKEN;
    const secret = cachedSecretFor(
      env,
      () => new SecretsManagerClient({}),
      () => clock.now,
    );
    const runtime = lazily(() => buildRuntime(env, { secret }), secret);
    const handler = lazily(async () => ({ token: (await runtime()).config.twilio.authToken }), secret);

    expect((await handler()).token).toBe('old-token');
    clock.now = SECRET_TTL_MS - 1;
    expect((await handler()).token).toBe('old-token');
    clock.now = SECRET_TTL_MS;
    expect((await handler()).token).toBe('new-token');
    expect(secrets).toHaveReceivedCommandTimes(GetSecretValueCommand, 2);
  });

  test('without SECRETS_ARN there is nothing to re-read', () => {
    expect(cachedSecretFor(testEnv())).toBeUndefined();
  });
});
