import { Logger } from '@aws-lambda-powertools/logger';
import { mockClient } from 'aws-sdk-client-mock';
import { createTwilioFallbackHandler, fallbackConfig } from '../../functions/twilio-fallback.js';
import { forCall, logger } from '../../services/core/shared/logging.js';
import { COUNTED_LOG_MESSAGES, REFUSAL_LOG_MESSAGES } from '../../services/core/shared/metric-names.js';
import { WEBHOOK_ROUTES } from '../../services/core/shared/routes.js';
import { callSid, formEvent, inboundForm, signForm, TEST_ACCOUNT_SID, testEnv } from '../support/twilio.js';

const FALLBACK_URL = `https://voice.example.com${WEBHOOK_ROUTES.TwilioFallback.path}`;
const config = fallbackConfig({ ...testEnv(), BUSINESS_NAME: 'Bolt Plumbing' });

function signed(form: Record<string, string>) {
  return formEvent(WEBHOOK_ROUTES.TwilioFallback.path, form, {
    'x-twilio-signature': signForm(FALLBACK_URL, form),
  });
}

/** What Twilio posts to a fallback URL: the voice webhook's form plus why the primary failed. */
const fallbackForm = (overrides: Record<string, string> = {}) =>
  inboundForm(callSid(7), {
    ErrorCode: '11200',
    ErrorUrl: 'https://voice.example.com/twilio/inbound',
    ...overrides,
  });

afterEach(() => jest.restoreAllMocks());

describe('POST /twilio/fallback', () => {
  it('answers a signed request with the apology and callback promise, then hangs up', async () => {
    const result = await createTwilioFallbackHandler(config)(signed(fallbackForm()));
    expect(result.statusCode).toBe(200);
    expect(result.headers?.['content-type']).toMatch(/^text\/xml/);
    expect(result.body).toMatch(
      /<Say>Thanks for calling Bolt Plumbing\. Sorry, we can.*call you back.*<\/Say><Hangup\/>/,
    );
    expect(result.body).not.toContain('<Connect>');
  });

  it('logs the counted line with the number masked (the FallbackAnswers alarm counts it)', async () => {
    const error = jest.spyOn(forCall(callSid(7)), 'error').mockImplementation(() => undefined);
    await createTwilioFallbackHandler(config)(signed(fallbackForm({ From: '+15551230001' })));
    expect(error).toHaveBeenCalledWith(COUNTED_LOG_MESSAGES.fallbackAnswered, {
      from: expect.not.stringContaining('5551230001'),
      errorCode: '11200',
    });
  });

  it('answers a signed request naming no call (npm run smoke) without the counted line', async () => {
    const errors = jest.spyOn(Logger.prototype, 'error');
    const result = await createTwilioFallbackHandler(config)(signed({ AccountSid: TEST_ACCOUNT_SID }));
    expect(result.body).toContain('<Say>');
    expect(errors.mock.calls.map(([message]) => message)).not.toContain(
      COUNTED_LOG_MESSAGES.fallbackAnswered,
    );
  });

  it('still apologises for a signed form missing every optional field', async () => {
    const result = await createTwilioFallbackHandler(config)(signed({ AccountSid: TEST_ACCOUNT_SID }));
    expect(result.statusCode).toBe(200);
    expect(result.body).toContain('<Say>');
  });

  it('refuses an unsigned or wrongly signed request with 403 and the counted refusal line', async () => {
    const warn = jest.spyOn(logger, 'warn').mockImplementation(() => undefined);
    const handler = createTwilioFallbackHandler(config);
    // Without a CallSid the refusal is logged on the root logger (a call's own logger otherwise).
    const form = { AccountSid: TEST_ACCOUNT_SID, From: '+15551230001' };
    const unsigned = await handler(formEvent(WEBHOOK_ROUTES.TwilioFallback.path, form));
    const forged = await handler(
      formEvent(WEBHOOK_ROUTES.TwilioFallback.path, form, {
        'x-twilio-signature': signForm(FALLBACK_URL, form, 'another-token'),
      }),
    );
    expect([unsigned.statusCode, forged.statusCode]).toEqual([403, 403]);
    expect(unsigned.body).not.toContain('<Say>');
    expect(warn).toHaveBeenCalledWith(REFUSAL_LOG_MESSAGES.twilioWebhookSignature, expect.anything());
  });

  it('refuses a request signed for another account', async () => {
    const result = await createTwilioFallbackHandler(config)(
      signed(fallbackForm({ AccountSid: `AC${'f'.repeat(32)}` })),
    );
    expect(result.statusCode).toBe(403);
  });

  it('names every missing setting', () => {
    expect(() => fallbackConfig({ PUBLIC_URL: 'not a url' })).toThrow(
      /PUBLIC_URL.*TWILIO_ACCOUNT_SID.*TWILIO_AUTH_TOKEN.*BUSINESS_NAME/,
    );
  });
});

describe('the Lambda entry point', () => {
  const saved = { ...process.env };
  afterEach(() => {
    process.env = { ...saved };
  });

  it('verifies with the auth token from the secret and never calls DynamoDB', async () => {
    const { TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID, ...env } = testEnv();
    Object.assign(process.env, env, {
      SECRETS_ARN: 'bolt-voice/test',
      BUSINESS_NAME: 'Bolt Plumbing',
      AWS_REGION: 'eu-west-1',
    });
    // The module reads SECRETS_ARN when it loads, so it is loaded afresh here, with the SDK
    // classes of that same module registry mocked.
    await jest.isolateModulesAsync(async () => {
      const secretsSdk = await import('@aws-sdk/client-secrets-manager');
      const dynamoSdk = await import('@aws-sdk/client-dynamodb');
      const secrets = mockClient(secretsSdk.SecretsManagerClient);
      const dynamo = mockClient(dynamoSdk.DynamoDBClient);
      secrets
        .on(secretsSdk.GetSecretValueCommand, { SecretId: 'bolt-voice/test' })
        .resolves({ SecretString: JSON.stringify({ TWILIO_AUTH_TOKEN, TWILIO_ACCOUNT_SID }) });
      const { handler } = await import('../../functions/twilio-fallback.js');

      const result = await handler(signed(fallbackForm()));
      expect(result.statusCode).toBe(200);
      expect(result.body).toContain('<Say>');
      expect(secrets.commandCalls(secretsSdk.GetSecretValueCommand)).toHaveLength(1);
      expect(dynamo.calls()).toHaveLength(0);
      secrets.restore();
      dynamo.restore();
    });
  });
});
