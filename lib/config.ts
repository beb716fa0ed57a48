import { z } from 'zod';
import { isIanaTimeZone, parseBusinessHours } from '../services/core/business-hours.js';
import { isE164 } from '../services/core/phone.js';

/**
 * The deployment's configuration, read once from CDK context (`boltVoice` in cdk.json) by
 * bin/bolt-voice.ts and validated here, so a wrong value stops `cdk synth` with a message naming it.
 * Constructs receive the parsed object; none of them reads the environment.
 */

const e164 = z.string().refine(isE164, 'must be an E.164 phone number such as +15551234567');

const domainName = z
  .string()
  .regex(
    /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/,
    'must be a lower-case DNS name',
  );

const acmCertificateArn = z
  .string()
  .regex(
    /^arn:aws[a-z-]*:acm:[a-z0-9-]+:\d{12}:certificate\/[0-9a-f-]{36}$/,
    'must be an ACM certificate ARN (arn:aws:acm:<region>:<account>:certificate/<id>)',
  );

const timeZone = z.string().refine(isIanaTimeZone, 'must be an IANA time zone such as America/New_York');

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'must be a local time HH:mm');

/** The services parse the hours with the same function, so synth rejects what they would reject. */
const businessHours = z.string().superRefine((text, ctx) => {
  try {
    parseBusinessHours(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: (error as Error).message });
  }
});

/** Memory range Fargate allows per CPU size. */
const FARGATE_MEMORY_MIB: Record<256 | 512 | 1024 | 2048 | 4096, [number, number]> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
};

const retentionDays = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 3653,
] as const;

export const configSchema = z
  .strictObject({
    /** Short name of this deployment; part of the stack name and of the parameter path. */
    stage: z.string().regex(/^[a-z][a-z0-9-]{0,19}$/, 'must be lower-case letters, digits or dashes'),
    /**
     * Region to deploy to; default: the certificate's region (an ALB certificate must be in the
     * stack's region). The account is the CLI's: leaving it open keeps synth free of AWS lookups.
     */
    region: z
      .string()
      .regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'must be an AWS region such as us-east-1')
      .optional(),
    /** Public DNS name of the bridge's load balancer (`wss://<bridgeDomainName>/media-stream`). */
    bridgeDomainName: domainName,
    /** ACM certificate for bridgeDomainName, in the stack's region. */
    certificateArn: acmCertificateArn,
    /** Route 53 zone holding bridgeDomainName (and apiDomainName); without it, create the DNS records yourself. */
    hostedZone: z
      .strictObject({ hostedZoneId: z.string().regex(/^Z[A-Z0-9]{4,32}$/), zoneName: domainName })
      .optional(),
    /** Optional custom domain for the webhook API (PUBLIC_URL); default: the API's execute-api URL. */
    api: z
      .strictObject({
        domainName,
        certificateArn: acmCertificateArn,
      })
      .optional(),
    twilioPhoneNumber: e164,
    business: z.strictObject({
      name: z.string().min(1),
      timeZone,
      hours: businessHours.default('mon-fri 09:00-17:00'),
    }),
    ownerEmail: z.email(),
    emailFrom: z.string().min(3),
    ownerPhone: e164.optional(),
    googleCalendarId: z.string().min(1).optional(),
    /** ISO 3166 alpha-2 codes POST /calls may dial (toll-fraud guard). */
    outboundAllowedCountries: z
      .array(z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code such as US'))
      .min(1)
      .default(['US', 'CA']),
    /** Where the alarms are sent (an SNS email subscription the recipient confirms once). */
    alarmEmail: z.email(),
    /** Local time of day, in the business time zone, when the owner gets the daily digest. */
    digestTime: hhmm.default('08:00'),
    logRetentionDays: z
      .number()
      .refine((d) => (retentionDays as readonly number[]).includes(d), {
        message: `must be one of ${retentionDays.join(', ')}`,
      })
      .default(30),
    bridge: z
      .strictObject({
        cpu: z
          .union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)])
          .default(512),
        memoryMiB: z.number().int().min(512).max(30720).default(1024),
        /** 0 only for the very first deploy, before the secret is filled (README). */
        minTasks: z.number().int().min(0).default(1),
        maxTasks: z.number().int().min(1).default(4),
        /** Target for the auto-scaling on ActiveCalls per task. */
        targetCallsPerTask: z.number().int().min(1).default(20),
      })
      .refine((b) => b.maxTasks >= b.minTasks, 'maxTasks must be >= minTasks')
      .refine((b) => {
        const [min, max] = FARGATE_MEMORY_MIB[b.cpu];
        return b.memoryMiB >= min && b.memoryMiB <= max;
      }, 'memoryMiB is not a Fargate size for this cpu (256: 512-2048, 512: 1024-4096, 1024: 2048-8192, 2048: 4096-16384, 4096: 8192-30720)')
      .default({ cpu: 512, memoryMiB: 1024, minTasks: 1, maxTasks: 4, targetCallsPerTask: 20 }),
    /** Steady-state requests per second and burst for the webhook API stage. */
    apiThrottle: z
      .strictObject({ rateLimit: z.number().int().min(1), burstLimit: z.number().int().min(1) })
      .default({ rateLimit: 50, burstLimit: 100 }),
  })
  .superRefine((c, ctx) => {
    const region = c.region ?? regionOf(c.certificateArn);
    for (const [path, arn] of [
      [['certificateArn'], c.certificateArn],
      [['api', 'certificateArn'], c.api?.certificateArn],
    ] as const) {
      if (arn && regionOf(arn) !== region) {
        ctx.addIssue({
          code: 'custom',
          path: [...path],
          message: `is in ${regionOf(arn)} but the stack deploys to ${region}; the certificate must be in the same region`,
        });
      }
    }
    if (c.hostedZone) {
      for (const [key, name] of [
        ['bridgeDomainName', c.bridgeDomainName],
        ['api', c.api?.domainName],
      ] as const) {
        if (name && name !== c.hostedZone.zoneName && !name.endsWith(`.${c.hostedZone.zoneName}`)) {
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `${name} is not inside ${c.hostedZone.zoneName}`,
          });
        }
      }
    }
  })
  .transform((c) => ({ ...c, region: c.region ?? regionOf(c.certificateArn) }));

function regionOf(arn: string): string {
  return arn.split(':')[3] ?? '';
}

export type BoltVoiceConfig = z.infer<typeof configSchema>;

export class ConfigurationError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid boltVoice configuration (cdk.json context):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'ConfigurationError';
  }
}

/** Validates the raw context value; a JSON string (from `cdk synth -c boltVoice='{...}'`) is accepted too. */
export function parseConfig(raw: unknown): BoltVoiceConfig {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      throw new ConfigurationError(['boltVoice is a string but not valid JSON']);
    }
  }
  if (value === undefined) throw new ConfigurationError(['the context key boltVoice is missing']);
  const parsed = configSchema.safeParse(value);
  if (!parsed.success) {
    throw new ConfigurationError(
      parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join('.') : '(root)'}: ${i.message}`),
    );
  }
  return parsed.data;
}
