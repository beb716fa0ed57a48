/**
 * The business's own knowledge: what it does, its services and prices, where it is, the area it
 * serves, its hours, policies and frequently asked questions. The owner keeps it where it can be
 * changed without a deploy (an SSM parameter in AWS, a JSON file locally); every call reads it
 * through `CachedBusinessProfile` (`cached-business-profile.ts`), so a change reaches new calls within a minute. Both engines get
 * the same rendered text (`renderBusinessProfile`) through the persona.
 */
import * as z from 'zod';
import { parseBusinessHours } from './business-hours.js';
import { isE164 } from './phone.js';
import { zodProblems } from './validation.js';

/**
 * The stored JSON may be at most this many bytes: an SSM Standard-tier parameter holds 4 KB, and it
 * keeps the prompt (and every call's cost) small. Larger profiles are refused, never cut.
 */
export const MAX_PROFILE_BYTES = 4096;

const text = (max: number) =>
  z.string().trim().min(1, 'must not be empty').max(max, `at most ${max} characters`);

/**
 * Whether and when `transfer_to_human` puts a caller through to a person, and to which number. The
 * owner changes these like the rest of the profile; absent, every transfer dials `OWNER_PHONE`.
 */
export const transferSettingsSchema = z.strictObject({
  /** false: the agent never transfers; it takes a message (or books a callback) instead. */
  enabled: z.boolean().default(true),
  /** `mon-fri 09:00-17:00,sat 10:00-14:00` in the business time zone; outside them, no transfer. */
  hours: z
    .string()
    .trim()
    .max(200, 'at most 200 characters')
    .superRefine((value, ctx) => {
      try {
        parseBusinessHours(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
      }
    })
    .optional(),
  /** Where to dial instead of `OWNER_PHONE` (E.164; checked against `OUTBOUND_ALLOWED_COUNTRIES` per call). */
  phone: z.string().trim().refine(isE164, 'must be an E.164 number such as +15551234567').optional(),
});

export type TransferSettings = z.infer<typeof transferSettingsSchema>;

export const businessProfileSchema = z.strictObject({
  /** One or two sentences: what the business does. */
  about: text(600),
  services: z
    .array(
      z.strictObject({
        name: text(100),
        /** As the owner wants it said: "$150", "from $90 an hour", "free estimate". */
        price: text(100).optional(),
        description: text(300).optional(),
      }),
    )
    .max(25, 'at most 25 services')
    .default([]),
  address: text(300).optional(),
  serviceArea: text(300).optional(),
  /** Opening hours in words; without it the agent uses BUSINESS_HOURS. */
  hours: text(300).optional(),
  policies: z.array(text(400)).max(15, 'at most 15 policies').default([]),
  faqs: z
    .array(z.strictObject({ question: text(300), answer: text(600) }))
    .max(20, 'at most 20 questions')
    .default([]),
  /** Not rendered for the agent: the transfer tool reads it when the caller asks for a person. */
  transfer: transferSettingsSchema.optional(),
});

export type BusinessProfile = z.infer<typeof businessProfileSchema>;

export type ProfileParse = { ok: true; profile: BusinessProfile } | { ok: false; problems: string[] };

/** Validates the stored text: JSON, within the size limit, the schema above (unknown keys refused). */
export function parseBusinessProfile(raw: string): ProfileParse {
  const bytes = Buffer.byteLength(raw, 'utf8');
  if (bytes > MAX_PROFILE_BYTES)
    return { ok: false, problems: [`is ${bytes} bytes; the limit is ${MAX_PROFILE_BYTES}`] };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (error) {
    return { ok: false, problems: [`is not JSON: ${(error as Error).message}`] };
  }
  const parsed = businessProfileSchema.safeParse(json);
  if (parsed.success) return { ok: true, profile: parsed.data };
  return {
    ok: false,
    problems: zodProblems(parsed.error, '(profile)'),
  };
}

/** The profile as the agent reads it: plain lines, no markup, the same for both engines. */
export function renderBusinessProfile(profile: BusinessProfile): string {
  const lines = [`About: ${profile.about}`];
  if (profile.services.length > 0) {
    lines.push('Services and prices:');
    for (const s of profile.services) {
      const price = s.price ? `: ${s.price}` : ': price on request';
      lines.push(`- ${s.name}${price}${s.description ? ` (${s.description})` : ''}`);
    }
  }
  if (profile.address) lines.push(`Address: ${profile.address}`);
  if (profile.serviceArea) lines.push(`Service area: ${profile.serviceArea}`);
  if (profile.hours) lines.push(`Hours: ${profile.hours}`);
  if (profile.policies.length > 0) {
    lines.push('Policies:');
    for (const p of profile.policies) lines.push(`- ${p}`);
  }
  if (profile.faqs.length > 0) {
    lines.push('Frequently asked questions:');
    for (const f of profile.faqs) lines.push(`- Q: ${f.question} A: ${f.answer}`);
  }
  return lines.join('\n');
}
