import { randomBytes } from 'node:crypto';

/**
 * `POST /calls` places real calls on the Twilio account, so no key ships with the project. When
 * `CALLS_API_KEY` is unset, the local stack makes a random one for this run and prints it once
 * (`main.ts`); the key lives only in this process's memory and dies with it.
 */
export function ensureCallsApiKey(env: Record<string, string | undefined>): {
  env: Record<string, string | undefined>;
  /** Set only when the key was made here (so it is printed once). */
  generated?: string;
} {
  if (env.CALLS_API_KEY?.trim()) return { env };
  const generated = randomBytes(24).toString('base64url');
  return { env: { ...env, CALLS_API_KEY: generated }, generated };
}
