import { getExpectedTwilioSignature } from 'twilio/lib/webhooks/webhooks';
import {
  isValidTwilioStreamUpgrade,
  isValidTwilioWebhook,
} from '../../../services/adapters/twilio/webhook-signature.js';

const AUTH_TOKEN = 'test-auth-token';
const URL = 'https://voice.example.com/twilio/inbound';
const PARAMS = { CallSid: 'CA0123456789abcdef0123456789abcdef', From: '+15551230001', To: '+15550001111' };

describe('isValidTwilioWebhook', () => {
  test('accepts the signature Twilio computes over the URL and the form parameters', () => {
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, URL, PARAMS);
    expect(isValidTwilioWebhook({ authToken: AUTH_TOKEN, signature, url: URL, params: PARAMS })).toBe(true);
  });

  test('refuses a missing signature, another token, another URL and a changed parameter', () => {
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, URL, PARAMS);
    const check = { authToken: AUTH_TOKEN, signature, url: URL, params: PARAMS };
    expect(isValidTwilioWebhook({ ...check, signature: undefined })).toBe(false);
    expect(isValidTwilioWebhook({ ...check, signature: '' })).toBe(false);
    expect(isValidTwilioWebhook({ ...check, authToken: 'other-token' })).toBe(false);
    expect(isValidTwilioWebhook({ ...check, url: 'https://voice.example.com/twilio/status' })).toBe(false);
    expect(isValidTwilioWebhook({ ...check, params: { ...PARAMS, From: '+15559999999' } })).toBe(false);
  });
});

describe('isValidTwilioStreamUpgrade', () => {
  const STREAM_URL = 'wss://voice.example.com/media-stream';

  test('accepts a signature over the wss:// stream URL with no parameters', () => {
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, STREAM_URL, {});
    expect(isValidTwilioStreamUpgrade({ authToken: AUTH_TOKEN, signature, streamUrl: STREAM_URL })).toBe(
      true,
    );
  });

  test('refuses the https:// form, a missing signature and another token', () => {
    const overHttps = getExpectedTwilioSignature(AUTH_TOKEN, 'https://voice.example.com/media-stream', {});
    expect(
      isValidTwilioStreamUpgrade({ authToken: AUTH_TOKEN, signature: overHttps, streamUrl: STREAM_URL }),
    ).toBe(false);
    expect(
      isValidTwilioStreamUpgrade({ authToken: AUTH_TOKEN, signature: undefined, streamUrl: STREAM_URL }),
    ).toBe(false);
    const signature = getExpectedTwilioSignature(AUTH_TOKEN, STREAM_URL, {});
    expect(isValidTwilioStreamUpgrade({ authToken: 'other', signature, streamUrl: STREAM_URL })).toBe(false);
  });
});
