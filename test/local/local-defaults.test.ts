import { ConfigError, loadConfig } from '../../services/core/shared/config.js';
import { startupBanner } from '../../services/local/banner.js';
import { ensureCallsApiKey } from '../../services/local/calls-api-key';
import {
  fillLocalDefaults,
  LOCAL_BUSINESS_NUMBER,
  LOCAL_OWNER_EMAIL,
  localPort,
} from '../../services/local/local-defaults.js';

function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('npm start with no .env', () => {
  test('an empty environment starts: local Twilio account, local PUBLIC_URL, a local owner', () => {
    const defaults = fillLocalDefaults({}, 3114);
    const config = loadConfig(defaults.env);
    expect(defaults.simulatedTwilio).toBe(true);
    expect(config.publicUrl).toBe('http://localhost:3114');
    expect(config.streamUrl).toBe('ws://localhost:3114/media-stream');
    expect(config.twilio.phoneNumber).toBe(LOCAL_BUSINESS_NUMBER);
    expect(config.twilio.accountSid).toMatch(/^AC[0-9a-f]{32}$/);
    expect(config.ownerEmail).toBe(LOCAL_OWNER_EMAIL);
    expect(defaults.filled.sort()).toEqual(
      ['OWNER_EMAIL', 'PUBLIC_URL', 'TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER'].sort(),
    );
  });

  test('secrets are made per run, never a fixed default', () => {
    const a = fillLocalDefaults({}, 3000);
    const b = fillLocalDefaults({}, 3000);
    expect(a.env.TWILIO_AUTH_TOKEN).not.toBe(b.env.TWILIO_AUTH_TOKEN);
  });

  test('a value that is set is kept as it is', () => {
    const env = {
      CALLS_API_KEY: 'my-own-key',
      OWNER_EMAIL: 'me@plumbing.example',
      ELEVENLABS_API_KEY: 'xi-real',
      ELEVENLABS_AGENT_ID: 'agent_real',
    };
    const defaults = fillLocalDefaults(env, 3000);
    const config = loadConfig(defaults.env);
    expect(config.callsApiKey).toBe('my-own-key');
    expect(config.ownerEmail).toBe('me@plumbing.example');
    expect(config.elevenlabs).toEqual({ apiKey: 'xi-real', agentId: 'agent_real' });
  });

  test('real Twilio values are never mixed with made-up ones, and then PUBLIC_URL is required', () => {
    const partial = fillLocalDefaults({ TWILIO_ACCOUNT_SID: `AC${'1'.repeat(32)}` }, 3000);
    expect(partial.simulatedTwilio).toBe(false);
    expect(problemsOf(partial.env)).toEqual(
      expect.arrayContaining([
        'PUBLIC_URL is required',
        'TWILIO_AUTH_TOKEN is required',
        'TWILIO_PHONE_NUMBER is required',
      ]),
    );
  });

  test('a misconfigured value that is set still stops the start, naming it', () => {
    const defaults = fillLocalDefaults({ BUSINESS_TIMEZONE: 'Mars/Olympus', OWNER_EMAIL: 'nobody' }, 3000);
    const problems = problemsOf(defaults.env);
    expect(problems.some((p) => p.startsWith('BUSINESS_TIMEZONE'))).toBe(true);
    expect(problems.some((p) => p.startsWith('OWNER_EMAIL'))).toBe(true);
    expect(problems).toHaveLength(2);
  });

  test('the port for PUBLIC_URL comes from PORT, and a malformed PORT is left to the configuration', () => {
    expect(localPort({})).toBe(3000);
    expect(localPort({ PORT: '3114' })).toBe(3114);
    const defaults = fillLocalDefaults({ PORT: 'eighty' }, localPort({ PORT: 'eighty' }));
    expect(problemsOf(defaults.env)).toEqual([expect.stringMatching(/^PORT /)]);
  });
});

describe('the start-up banner', () => {
  test('says what is simulated and which settings switch each part to the real service', () => {
    const { env, generated } = ensureCallsApiKey(fillLocalDefaults({}, 3114).env);
    const banner = startupBanner({
      config: loadConfig(env),
      url: 'http://127.0.0.1:3114',
      simulatedTwilio: true,
      simulatedEngines: ['elevenlabs', 'openai'],
      embedded: ['crm', 'calendar', 'mail'],
      generatedCallsApiKey: generated,
      pageKey: 'page-key_1',
    });
    // The links carry this run's page key: the pages answer nothing else.
    expect(banner).toContain('http://localhost:3114/phone?key=page-key_1');
    expect(banner).toContain('http://localhost:3114/calls?key=page-key_1');
    for (const setting of [
      'TWILIO_ACCOUNT_SID',
      'ELEVENLABS_API_KEY + ELEVENLABS_AGENT_ID',
      'OPENAI_API_KEY',
      'SUPABASE_URL + SUPABASE_SERVICE_ROLE_KEY',
      'GOOGLE_SERVICE_ACCOUNT_JSON + GOOGLE_CALENDAR_ID',
      'RESEND_API_KEY',
      'DYNAMODB_ENDPOINT',
    ]) {
      expect(banner).toContain(setting);
    }
    expect(banner.split(generated ?? '?')).toHaveLength(2);
  });

  test('a real part says so and offers no switch', () => {
    const env = fillLocalDefaults({ OPENAI_API_KEY: 'sk-real', CALLS_API_KEY: 'k' }, 3000).env;
    const banner = startupBanner({
      config: loadConfig(env),
      url: 'http://127.0.0.1:3000',
      simulatedTwilio: true,
      simulatedEngines: ['elevenlabs'],
      embedded: [],
      pageKey: 'k2',
    });
    expect(banner).toMatch(/OpenAI Realtime\s+real\s*\n/);
    expect(banner).not.toContain('OPENAI_API_KEY');
    expect(banner).not.toContain('Bearer');
  });
});
