/**
 * `npm start` with no `.env`: what the local stack fills in where a setting is absent, so a fresh
 * clone starts on embedded parts. Only absent values are filled; a value that is set is kept as is
 * and `loadConfig` still refuses it, naming it, when it is malformed.
 */
import { randomBytes } from 'node:crypto';

type Env = Record<string, string | undefined>;

export const TWILIO_SETTINGS = ['TWILIO_ACCOUNT_SID', 'TWILIO_AUTH_TOKEN', 'TWILIO_PHONE_NUMBER'] as const;
/** A fictional number (555-01xx is reserved for fiction) for the business when Twilio is simulated. */
export const LOCAL_BUSINESS_NUMBER = '+15550100100';
export const LOCAL_OWNER_EMAIL = 'owner@example.com';

export interface LocalDefaults {
  /** The environment to start with: the given one plus the filled-in values. */
  env: Env;
  /** No Twilio setting was given: the account is local, its REST API a stand-in, calls come from /phone. */
  simulatedTwilio: boolean;
  /** The names filled in (never their values). */
  filled: string[];
}

function isSet(env: Env, name: string): boolean {
  return (env[name] ?? '').trim() !== '';
}

/**
 * Fills what a local run needs and nobody gave. Twilio's three values go together: with none set,
 * a local account is made up (its auth token random per run, so nothing outside can sign for it);
 * with any set, all three are required as usual, and so is `PUBLIC_URL` (Twilio must reach it).
 */
export function fillLocalDefaults(env: Env, port: number): LocalDefaults {
  const filled: Env = { ...env };
  const names: string[] = [];
  const fill = (name: string, value: string) => {
    if (isSet(env, name)) return;
    filled[name] = value;
    names.push(name);
  };

  const simulatedTwilio = TWILIO_SETTINGS.every((name) => !isSet(env, name));
  if (simulatedTwilio) {
    fill('TWILIO_ACCOUNT_SID', `AC${randomBytes(16).toString('hex')}`);
    fill('TWILIO_AUTH_TOKEN', randomBytes(24).toString('base64url'));
    fill('TWILIO_PHONE_NUMBER', LOCAL_BUSINESS_NUMBER);
    fill('PUBLIC_URL', `http://localhost:${port}`);
  }
  // The owner email is part of what a local call shows (the outbox); real mail needs a real address.
  if (!isSet(env, 'RESEND_API_KEY')) fill('OWNER_EMAIL', LOCAL_OWNER_EMAIL);
  // CALLS_API_KEY is made by startLocalApp (ensureCallsApiKey), for every way the app starts.
  return { env: filled, simulatedTwilio, filled: names };
}

/** The port `npm start` listens on, read before the configuration (which needs it for PUBLIC_URL). */
export function localPort(env: Env): number {
  const raw = (env.PORT ?? '').trim();
  const port = raw === '' ? 3000 : Number(raw);
  // A malformed PORT is left for loadConfig to name; the default only shapes the filled PUBLIC_URL.
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : 3000;
}
