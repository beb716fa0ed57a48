import { ConfigError, loadConfig } from '../../services/core/config';

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
