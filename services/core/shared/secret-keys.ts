/**
 * The keys of the one Secrets Manager secret (DESIGN §3 Secrets), read by the Lambdas and the bridge
 * (SECRETS_ARN) and written before the first deploy by `npm run setup`. `npm run smoke` checks that
 * the deployed secret holds every required one.
 */
export const REQUIRED_SECRET_KEYS = [
  'TWILIO_ACCOUNT_SID',
  'TWILIO_AUTH_TOKEN',
  'ELEVENLABS_API_KEY',
  'ELEVENLABS_AGENT_ID',
  'ELEVENLABS_WEBHOOK_SECRET',
  'SUPABASE_URL',
  'SUPABASE_SERVICE_ROLE_KEY',
  'GOOGLE_SERVICE_ACCOUNT_JSON',
  'RESEND_API_KEY',
] as const;

/**
 * The fallback engine (without it a call whose ElevenLabs session fails gets the apology instead),
 * and the integration webhook (both or neither; without them no event is sent).
 */
export const OPTIONAL_SECRET_KEYS = [
  'OPENAI_API_KEY',
  'INTEGRATION_WEBHOOK_URL',
  'INTEGRATION_WEBHOOK_SECRET',
] as const;

export const SECRET_KEYS = [...REQUIRED_SECRET_KEYS, ...OPTIONAL_SECRET_KEYS] as const;

export type SecretKey = (typeof SECRET_KEYS)[number];

/** The required keys that are absent or blank in a secret's JSON. */
export function missingSecretKeys(values: Readonly<Record<string, unknown>>): string[] {
  return REQUIRED_SECRET_KEYS.filter((key) => {
    const value = values[key];
    return value === undefined || value === null || (typeof value === 'string' && value.trim() === '');
  });
}
