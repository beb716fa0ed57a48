import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The `ElevenLabs-Signature` header of post-call webhooks: `t=<unix seconds>,v0=<hex>`, where hex is
 * HMAC-SHA256(webhook secret, `<t>.<raw body>`) (docs/protocols.md §1.8). Checked on the raw body as
 * received: a re-serialised JSON body would not match.
 */
export const ELEVENLABS_SIGNATURE_HEADER = 'elevenlabs-signature';

/** ElevenLabs' own tolerance for old signatures. */
export const SIGNATURE_MAX_AGE_MS = 30 * 60 * 1000;
/** The SDK checks only the past; a timestamp this far ahead is refused too (no replay kept for later). */
export const SIGNATURE_MAX_FUTURE_MS = 5 * 60 * 1000;

export type SignatureCheck =
  | { ok: true; timestampMs: number }
  | { ok: false; reason: 'missing' | 'malformed' | 'mismatch' | 'stale' | 'future' };

export interface SignatureCheckInput {
  secret: string;
  header: string | undefined;
  rawBody: string;
  /** Epoch ms. */
  now: number;
}

export function verifyElevenLabsSignature(input: SignatureCheckInput): SignatureCheck {
  if (!input.header) return { ok: false, reason: 'missing' };
  const parts = new Map<string, string>();
  for (const part of input.header.split(',')) {
    const at = part.indexOf('=');
    if (at > 0) parts.set(part.slice(0, at).trim(), part.slice(at + 1).trim());
  }
  const t = parts.get('t');
  const v0 = parts.get('v0');
  if (!t || !/^\d{1,12}$/.test(t) || !v0 || !/^[0-9a-f]{64}$/i.test(v0))
    return { ok: false, reason: 'malformed' };

  // The MAC first: an unsigned request learns nothing about our clock.
  const expected = createHmac('sha256', input.secret).update(`${t}.${input.rawBody}`).digest();
  const given = Buffer.from(v0, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'mismatch' };

  const timestampMs = Number(t) * 1000;
  if (input.now - timestampMs > SIGNATURE_MAX_AGE_MS) return { ok: false, reason: 'stale' };
  if (timestampMs - input.now > SIGNATURE_MAX_FUTURE_MS) return { ok: false, reason: 'future' };
  return { ok: true, timestampMs };
}

/** The header ElevenLabs would send for `rawBody` at `timestampSeconds`: for simulators and tests. */
export function signElevenLabsWebhook(secret: string, rawBody: string, timestampSeconds: number): string {
  const hex = createHmac('sha256', secret).update(`${timestampSeconds}.${rawBody}`).digest('hex');
  return `t=${timestampSeconds},v0=${hex}`;
}
