import { readFileSync } from 'node:fs';
import { startLocalApp } from '../../services/local/app';
import { ensureCallsApiKey } from '../../services/local/calls-api-key';
import { TEST_ACCOUNT_SID, TEST_AUTH_TOKEN } from '../support/twilio';

describe('CALLS_API_KEY', () => {
  it('ships with no value in .env.example', () => {
    const line = readFileSync('.env.example', 'utf8')
      .split('\n')
      .find((l) => l.startsWith('CALLS_API_KEY='));
    expect(line).toBe('CALLS_API_KEY=');
  });

  it('is kept when set, and generated (random, long) when unset or blank', () => {
    expect(ensureCallsApiKey({ CALLS_API_KEY: 'mine' })).toEqual({ env: { CALLS_API_KEY: 'mine' } });
    const a = ensureCallsApiKey({ CALLS_API_KEY: ' ' });
    const b = ensureCallsApiKey({});
    expect(a.generated).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(b.generated).not.toBe(a.generated);
    expect(b.env.CALLS_API_KEY).toBe(b.generated);
  });

  it('the local stack started without one answers POST /calls only with the key it generated', async () => {
    const app = await startLocalApp(
      {
        PORT: '0',
        PUBLIC_URL: 'https://bolt-voice.test',
        TWILIO_ACCOUNT_SID: TEST_ACCOUNT_SID,
        TWILIO_AUTH_TOKEN: TEST_AUTH_TOKEN,
        TWILIO_PHONE_NUMBER: '+15550001111',
        LOCAL_OUTBOX_DIR: '.local/test-outbox-calls-key',
      },
      { host: '127.0.0.1' },
    );
    try {
      const key = app.generatedCallsApiKey;
      expect(key).toBeDefined();
      const post = (authorization: string) =>
        fetch(`${app.stack.url}/calls`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization },
          body: JSON.stringify({ to: 'not a number' }),
        });
      expect((await post('Bearer local-dev-calls-key')).status).toBe(401);
      // Authorised: the body is then judged (and refused) on its own merits.
      expect((await post(`Bearer ${key}`)).status).toBe(400);
    } finally {
      await app.close();
    }
  });
});
