import { createHmac } from 'node:crypto';
import {
  signElevenLabsWebhook,
  verifyElevenLabsSignature,
} from '../../../services/adapters/elevenlabs/webhook-signature.js';

const SECRET = 'wsec_test_0123456789';
const BODY =
  '{"type":"post_call_transcription","event_timestamp":1795000000,"data":{"conversation_id":"c1"}}';
const NOW = 1_795_000_000_000;
const T = NOW / 1000;

function header(t: number, body = BODY, secret = SECRET): string {
  // Computed here independently of the module, from the documented recipe.
  return `t=${t},v0=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

describe('verifyElevenLabsSignature', () => {
  test('accepts the documented t=…,v0=… header over the raw body', () => {
    expect(verifyElevenLabsSignature({ secret: SECRET, header: header(T), rawBody: BODY, now: NOW })).toEqual(
      {
        ok: true,
        timestampMs: NOW,
      },
    );
    expect(signElevenLabsWebhook(SECRET, BODY, T)).toBe(header(T));
  });

  test('accepts a timestamp up to 30 minutes old', () => {
    expect(
      verifyElevenLabsSignature({ secret: SECRET, header: header(T - 29 * 60), rawBody: BODY, now: NOW }).ok,
    ).toBe(true);
  });

  test.each([
    ['missing', undefined],
    ['malformed', 'v0=abc'],
    ['malformed', `t=${T}`],
    ['malformed', `t=soon,v0=${'a'.repeat(64)}`],
    ['mismatch', header(T, BODY, 'another-secret')],
    ['mismatch', header(T, `${BODY} `)],
    ['mismatch', header(T).replace(`t=${T}`, `t=${T + 1}`)],
    ['stale', header(T - 31 * 60)],
    ['future', header(T + 6 * 60)],
  ])('refuses a %s signature', (reason, value) => {
    expect(verifyElevenLabsSignature({ secret: SECRET, header: value, rawBody: BODY, now: NOW })).toEqual({
      ok: false,
      reason,
    });
  });

  test('a re-serialised body does not verify: the raw body is what is signed', () => {
    const pretty = JSON.stringify(JSON.parse(BODY), null, 2);
    expect(
      verifyElevenLabsSignature({ secret: SECRET, header: header(T), rawBody: pretty, now: NOW }).ok,
    ).toBe(false);
  });
});
