import { ConfigError, loadConfig } from '../../services/core/shared/config';
import { crmAndMailFor } from '../../services/wiring/parts/after-call.js';

const base = {
  PUBLIC_URL: 'https://voice.example.com/',
  TWILIO_ACCOUNT_SID: `AC${'0'.repeat(32)}`,
  TWILIO_AUTH_TOKEN: 'test-auth-token',
  TWILIO_PHONE_NUMBER: '+15550001111',
};

describe('loadConfig', () => {
  it('derives defaults, the stream URL from PUBLIC_URL, and parses business hours', () => {
    const config = loadConfig({ ...base, BUSINESS_HOURS: 'mon-fri 09:00-17:00,sat 10:00-14:00' });
    expect(config.publicUrl).toBe('https://voice.example.com');
    expect(config.streamUrl).toBe('wss://voice.example.com/media-stream');
    expect(config.port).toBe(3000);
    expect(config.voiceProvider).toBe('elevenlabs');
    expect(config.engineConnectTimeoutMs).toBe(3000);
    expect(config.outboundAllowedCountries).toEqual(['US', 'CA']);
    expect(config.business.hours).toHaveLength(6);
    expect(config.elevenlabs).toBeUndefined();
  });

  it('names every missing or malformed variable in one error', () => {
    let error: unknown;
    try {
      loadConfig({
        PUBLIC_URL: 'not a url',
        TWILIO_PHONE_NUMBER: '555-1234',
        BUSINESS_TIMEZONE: 'Mars/Base',
      });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as ConfigError).message;
    for (const name of [
      'PUBLIC_URL',
      'TWILIO_ACCOUNT_SID',
      'TWILIO_AUTH_TOKEN',
      'TWILIO_PHONE_NUMBER',
      'BUSINESS_TIMEZONE',
    ]) {
      expect(message).toContain(name);
    }
  });

  it('texts are on by default, from the business number; SMS_* override or are refused', () => {
    expect(loadConfig(base).sms).toEqual({ enabled: true, from: '+15550001111' });
    const service = `MG${'a'.repeat(32)}`;
    expect(
      loadConfig({
        ...base,
        SMS_ENABLED: 'false',
        SMS_FROM: '+15550002222',
        SMS_MESSAGING_SERVICE_SID: service,
      }).sms,
    ).toEqual({ enabled: false, from: '+15550002222', messagingServiceSid: service });
    expect(() => loadConfig({ ...base, SMS_ENABLED: 'yes' })).toThrow(/SMS_ENABLED/);
    expect(() => loadConfig({ ...base, SMS_MESSAGING_SERVICE_SID: 'MG1' })).toThrow(
      /SMS_MESSAGING_SERVICE_SID/,
    );
  });

  it('requires engine keys in pairs, and an engine when asked to', () => {
    expect(() => loadConfig({ ...base, ELEVENLABS_API_KEY: 'k' })).toThrow(/ELEVENLABS_AGENT_ID is required/);
    expect(() => loadConfig(base, { requireEngine: true })).toThrow(/no engine configured/);
    expect(loadConfig({ ...base, OPENAI_API_KEY: 'k' }, { requireEngine: true }).openai).toEqual({
      apiKey: 'k',
    });
  });

  it('reads the callback schedule settings together, and refuses half of them', () => {
    expect(loadConfig(base).callbacks).toBeUndefined();
    const target = 'arn:aws:lambda:us-east-1:123456789012:function:bolt-voice-prod-PlaceCall';
    const role = 'arn:aws:iam::123456789012:role/callback-role';
    expect(
      loadConfig({
        ...base,
        CALLBACK_TARGET_ARN: target,
        CALLBACK_SCHEDULE_ROLE_ARN: role,
        CALLBACK_SCHEDULE_GROUP: 'bolt-callbacks',
      }).callbacks,
    ).toEqual({ targetArn: target, roleArn: role, groupName: 'bolt-callbacks', deadLetterArn: undefined });
    expect(() => loadConfig({ ...base, CALLBACK_TARGET_ARN: target })).toThrow(
      /CALLBACK_SCHEDULE_ROLE_ARN is required when CALLBACK_TARGET_ARN is set/,
    );
    expect(() => loadConfig({ ...base, CALLBACK_SCHEDULE_GROUP: 'g' })).toThrow(
      /CALLBACK_TARGET_ARN is required when CALLBACK_SCHEDULE_GROUP is set/,
    );
    expect(() =>
      loadConfig({ ...base, CALLBACK_TARGET_ARN: 'PlaceCall', CALLBACK_SCHEDULE_ROLE_ARN: role }),
    ).toThrow(/CALLBACK_TARGET_ARN must be an ARN/);
  });

  it('rejects unreadable business hours with the reason', () => {
    expect(() => loadConfig({ ...base, BUSINESS_HOURS: 'mon-fri 17:00-09:00' })).toThrow(
      /closes before it opens/,
    );
    expect(() => loadConfig({ ...base, BUSINESS_HOURS: 'funday 09:00-17:00' })).toThrow(/BUSINESS_HOURS/);
  });
});

describe('recordings and the integration webhook settings', () => {
  it('records nothing by default; RECORD_CALLS=on turns it on; anything else is refused', () => {
    expect(loadConfig(base).recording).toEqual({
      enabled: false,
      localDir: '.local/recordings',
      bucket: undefined,
    });
    expect(
      loadConfig({ ...base, RECORD_CALLS: 'on', LOCAL_RECORDINGS_DIR: '/tmp/r', RECORDINGS_BUCKET: 'b' })
        .recording,
    ).toEqual({ enabled: true, localDir: '/tmp/r', bucket: 'b' });
    expect(() => loadConfig({ ...base, RECORD_CALLS: 'yes' })).toThrow(/RECORD_CALLS/);
  });

  it('takes the webhook URL and secret together, a URL only, and a secret of 16 characters or more', () => {
    const secret = 'whsec_0123456789abcdef';
    expect(
      loadConfig({
        ...base,
        INTEGRATION_WEBHOOK_URL: 'https://hooks.zapier.com/x',
        INTEGRATION_WEBHOOK_SECRET: secret,
      }).integrationWebhook,
    ).toEqual({ url: 'https://hooks.zapier.com/x', secret });
    expect(loadConfig(base).integrationWebhook).toBeUndefined();
    expect(() => loadConfig({ ...base, INTEGRATION_WEBHOOK_URL: 'https://hooks.zapier.com/x' })).toThrow(
      /INTEGRATION_WEBHOOK_SECRET is required/,
    );
    expect(() => loadConfig({ ...base, INTEGRATION_WEBHOOK_SECRET: secret })).toThrow(
      /INTEGRATION_WEBHOOK_URL is required/,
    );
    expect(() =>
      loadConfig({ ...base, INTEGRATION_WEBHOOK_URL: 'ftp://x', INTEGRATION_WEBHOOK_SECRET: secret }),
    ).toThrow(/INTEGRATION_WEBHOOK_URL/);
    expect(() =>
      loadConfig({
        ...base,
        INTEGRATION_WEBHOOK_URL: 'https://x.example',
        INTEGRATION_WEBHOOK_SECRET: 'short',
      }),
    ).toThrow(/INTEGRATION_WEBHOOK_SECRET must be at least 16/);
  });

  it('in AWS the webhook must be https, and RECORD_CALLS=on needs the bucket', () => {
    const aws = {
      ...base,
      SUPABASE_URL: 'https://x.supabase.co',
      SUPABASE_SERVICE_ROLE_KEY: 'k',
      RESEND_API_KEY: 're_x',
      INTEGRATION_WEBHOOK_SECRET: 'whsec_0123456789abcdef',
    };
    expect(() =>
      crmAndMailFor(loadConfig({ ...aws, INTEGRATION_WEBHOOK_URL: 'http://hooks.example.com/x' }), 'aws'),
    ).toThrow(/INTEGRATION_WEBHOOK_URL must be an https URL in AWS/);
    expect(
      crmAndMailFor(loadConfig({ ...aws, INTEGRATION_WEBHOOK_URL: 'http://localhost:9000/x' }), 'local').crm,
    ).toBeDefined();
    expect(() =>
      crmAndMailFor(
        loadConfig({ ...aws, INTEGRATION_WEBHOOK_URL: 'https://h.example/x', RECORD_CALLS: 'on' }),
        'aws',
      ),
    ).toThrow(/RECORDINGS_BUCKET is required in AWS when RECORD_CALLS=on/);
  });
});

describe('the webhook retry queue', () => {
  it('is an https SQS URL when set', () => {
    const queue = 'https://sqs.eu-west-1.amazonaws.com/123456789012/retries';
    expect(loadConfig({ ...base, WEBHOOK_RETRY_QUEUE_URL: queue }).webhookRetryQueueUrl).toBe(queue);
    expect(() => loadConfig({ ...base, WEBHOOK_RETRY_QUEUE_URL: 'http://x' })).toThrow(
      /WEBHOOK_RETRY_QUEUE_URL/,
    );
  });
});
