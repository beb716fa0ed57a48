import * as z from 'zod';
import { isIanaTimeZone, parseBusinessHours } from '../services/core/shared/business-hours.js';
import { isE164 } from '../services/core/shared/phone.js';

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

/**
 * From `npm run bench` (docs/benchmark.md): a 0.5 vCPU task holds about 90 calls at 60 % of its
 * share; 60 calls per task leaves room for the minutes a new task takes to start while calls keep
 * arriving.
 */
export const BRIDGE_DEFAULTS = {
  cpu: 512,
  memoryMiB: 1024,
  minTasks: 1,
  maxTasks: 4,
  targetCallsPerTask: 60,
} as const;

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
    /**
     * Texts (SMS) through the same Twilio account: on unless `enabled: false`; sent from `from`
     * (default `twilioPhoneNumber`) or through a Messaging Service (US A2P 10DLC: docs/deploy.md).
     */
    sms: z
      .strictObject({
        enabled: z.boolean().default(true),
        from: e164.optional(),
        messagingServiceSid: z
          .string()
          .regex(/^MG[0-9a-fA-F]{32}$/, 'must be a Messaging Service SID (MG and 32 hex digits)')
          .optional(),
      })
      .default({ enabled: true }),
    /**
     * The Google Calendar the agent books in (required: the bridge and PlaceCall refuse to start
     * without it in AWS). Share it with the service account in GOOGLE_SERVICE_ACCOUNT_JSON (docs/deploy.md, step 3).
     */
    googleCalendarId: z.string().min(1),
    /**
     * The Secrets Manager secret holding the keys, created before the deploy by `npm run setup`
     * and imported by name; default `bolt-voice/<stage>`.
     */
    secretName: z
      .string()
      .regex(/^[A-Za-z0-9/_+=.@-]{1,512}$/, 'must be a Secrets Manager secret name')
      .optional(),
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
        /**
         * 0.5 vCPU by default (docs/benchmark.md: about 46 calls fit 0.25 vCPU at 60 % of the share,
         * 92 fit 0.5), since Fargate enforces the share per 100 ms and 0.25 leaves little room for a
         * burst of call setups or a GC pause.
         */
        cpu: z
          .union([z.literal(256), z.literal(512), z.literal(1024), z.literal(2048), z.literal(4096)])
          .default(BRIDGE_DEFAULTS.cpu),
        memoryMiB: z.number().int().min(512).max(30720).default(BRIDGE_DEFAULTS.memoryMiB),
        /** At least one task: the healthy-targets alarm treats none as an outage. */
        minTasks: z.number().int().min(1).default(BRIDGE_DEFAULTS.minTasks),
        maxTasks: z.number().int().min(1).default(BRIDGE_DEFAULTS.maxTasks),
        /** Target for the auto-scaling on ActiveCalls per task. */
        targetCallsPerTask: z.number().int().min(1).default(BRIDGE_DEFAULTS.targetCallsPerTask),
      })
      .refine((b) => b.maxTasks >= b.minTasks, 'maxTasks must be >= minTasks')
      .refine((b) => {
        const [min, max] = FARGATE_MEMORY_MIB[b.cpu];
        return b.memoryMiB >= min && b.memoryMiB <= max;
      }, 'memoryMiB is not a Fargate size for this cpu (256: 512-2048, 512: 1024-4096, 1024: 2048-8192, 2048: 4096-16384, 4096: 8192-30720)')
      .default(BRIDGE_DEFAULTS),
    /**
     * RECORD_CALLS: `on` records every call (the agent says so first) into the recordings bucket.
     * The owner is responsible for consent where the law asks for more than the disclosure.
     */
    recordCalls: z.enum(['off', 'on']).default('off'),
    /** RECORDING_RETENTION_DAYS: the recordings bucket deletes each recording this many days after it was written. */
    recordingRetentionDays: z.number().int().min(1).max(3650).default(30),
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
  .transform((c) => ({
    ...c,
    region: c.region ?? regionOf(c.certificateArn),
    secretName: c.secretName ?? `bolt-voice/${c.stage}`,
  }));

/**
 * The SSM parameters a deployment reads and never writes: the provider flag (`npm run setup`) and
 * the business profile (the owner). The stack, `npm run setup` and `npm run preflight` use these names.
 */
export function parameterNames(stage: string): { providerFlag: string; businessProfile: string } {
  return {
    providerFlag: `/bolt-voice/${stage}/voice-provider`,
    businessProfile: `/bolt-voice/${stage}/business-profile`,
  };
}

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

/** Accounts, names and ids that only ever appear in examples (RFC 2606 / RFC 6761, AWS docs, cdk.json). */
const EXAMPLE_ACCOUNTS = new Set(['111111111111', '123456789012', '000000000000']);
const EXAMPLE_DOMAIN = /(^|[.@])(example\.(com|net|org)|[a-z0-9-]+\.(example|test|invalid|localhost))>?$/i;
const EXAMPLE_CERTIFICATE_ID = /certificate\/0{8}-0{4}-0{4}-0{4}-0{12}$/;
/** NANP area code 555 is not assigned: +1 555 … is a film number. */
const EXAMPLE_PHONE = /^\+1555/;

/**
 * The values of a configuration that are still the sample's placeholders (example account,
 * example.com and other reserved domains, the sample certificate, a 555 number). A deploy with any
 * of them would come up dead, so bin/bolt-voice.ts refuses them unless only checking offline.
 */
export function placeholderValues(config: BoltVoiceConfig): string[] {
  const found: string[] = [];
  const arn = (path: string, value: string | undefined) => {
    if (!value) return;
    const account = value.split(':')[4] ?? '';
    if (EXAMPLE_ACCOUNTS.has(account)) found.push(`${path}: ${account} is an example account`);
    else if (EXAMPLE_CERTIFICATE_ID.test(value)) found.push(`${path}: the sample certificate id`);
  };
  const domain = (path: string, value: string | undefined) => {
    if (value && EXAMPLE_DOMAIN.test(value.trim())) found.push(`${path}: ${value} is an example domain`);
  };
  arn('certificateArn', config.certificateArn);
  arn('api.certificateArn', config.api?.certificateArn);
  domain('bridgeDomainName', config.bridgeDomainName);
  domain('api.domainName', config.api?.domainName);
  domain('hostedZone.zoneName', config.hostedZone?.zoneName);
  domain('ownerEmail', config.ownerEmail);
  domain('emailFrom', config.emailFrom);
  domain('alarmEmail', config.alarmEmail);
  domain('googleCalendarId', config.googleCalendarId);
  for (const [path, phone] of [
    ['twilioPhoneNumber', config.twilioPhoneNumber],
    ['ownerPhone', config.ownerPhone],
    ['sms.from', config.sms.from],
  ] as const) {
    if (phone && EXAMPLE_PHONE.test(phone)) found.push(`${path}: ${phone} is a fictional 555 number`);
  }
  return found;
}

/**
 * Whether placeholders may pass: only for the offline check (`npm run synth` sets the context
 * `boltVoice:offlineCheck`) and only where the CLI found no AWS account, which every deploy has.
 */
export function placeholdersAllowed(offlineCheck: unknown, cliAccount: string | undefined): boolean {
  return (offlineCheck === true || offlineCheck === 'true') && !cliAccount;
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
