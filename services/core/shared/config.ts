import * as z from 'zod';
import { type CostRates, costRateEnvShape, costRatesFromEnv } from '../after-call/call-cost.js';
import { type BusinessHours, isIanaTimeZone, parseBusinessHours } from './business-hours.js';
import { DEFAULT_ENGINE, ENGINE_NAMES, type EngineName } from './engines.js';
import { isE164 } from './phone.js';
import { BRIDGE_ROUTES, routeUrl } from './routes.js';

/**
 * The one place the environment is read. Every entry point (a Lambda, the bridge, the local stack)
 * calls `loadConfig` once at start; a missing or malformed value stops the start with one message
 * naming every problem, so an operator fixes them all in one go.
 */
export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export interface Config {
  port: number;
  /** Public https base URL of the webhooks, without a trailing slash. */
  publicUrl: string;
  /** The `wss://…/media-stream` URL put in the TwiML and checked in the handshake signature. */
  streamUrl: string;
  twilio: { accountSid: string; authToken: string; phoneNumber: string; apiUrl?: string };
  /** Local stack only: the engine for new calls (in AWS the SSM parameter rules). */
  voiceProvider: EngineName;
  voiceProviderParameter?: string;
  elevenlabs?: { apiKey: string; agentId: string };
  elevenlabsApiUrl: string;
  elevenlabsWebhookSecret?: string;
  openai?: { apiKey: string };
  openaiRealtimeUrl: string;
  openaiRealtimeModel: string;
  openaiVoice: string;
  openaiVadEagerness: 'low' | 'medium' | 'high' | 'auto';
  supabase?: { url: string; serviceRoleKey: string };
  google?: { serviceAccountJson: string; calendarId: string };
  resendApiKey?: string;
  resendApiUrl?: string;
  emailFrom: string;
  ownerEmail?: string;
  business: { name: string; timezone: string; hours: BusinessHours; hoursText: string };
  /** AWS: the SSM parameter holding the business profile (JSON), read per call with a short cache. */
  businessProfileParameter?: string;
  /** Local stack: a JSON file holding the business profile. */
  businessProfileFile?: string;
  /** Prices of a call's parts, for its estimated cost (`after-call/call-cost.ts`). */
  costRates: CostRates;
  callsApiKey?: string;
  ownerPhone?: string;
  outboundAllowedCountries: string[];
  /**
   * Texts (SMS) through the same Twilio account: from `from` (`SMS_FROM`, default the business
   * number) or through a Messaging Service; only to numbers in `outboundAllowedCountries`.
   */
  sms: { enabled: boolean; from: string; messagingServiceSid?: string };
  /**
   * Where one-time callback schedules go (EventBridge Scheduler, set by the stack on the functions
   * that create them). Absent in the local stack, which runs due schedules on a timer.
   */
  callbacks?: CallbackScheduleConfig;
  engineConnectTimeoutMs: number;
  /** Caller speech over the agent shorter than this is a backchannel, not a barge-in (OpenAI). */
  bargeInMinMs: number;
  /** A call's length limit; the agent is told to wrap up a minute before it. */
  maxCallSeconds: number;
  callTableName: string;
  dynamodbEndpoint?: string;
  localOutboxDir: string;
  /**
   * `attested` (default): the CRM's context about a caller reaches the agent only when Twilio's
   * `StirVerstat` says the number was fully attested (`TN-Validation-Passed-A`); `any`: always.
   */
  callerContextTrust: 'attested' | 'any';
  /** How far ahead the agent may book (days, default 60). */
  bookingHorizonDays: number;
  /**
   * Call recordings (`RECORD_CALLS`, off by default): on, the agent's first words disclose it and
   * the bridge writes one stereo WAV per call, to `bucket` in AWS (`RECORDINGS_BUCKET`, set by the
   * stack) or to `localDir` in the local stack (`LOCAL_RECORDINGS_DIR`).
   */
  recording: { enabled: boolean; localDir: string; bucket?: string };
  /**
   * The integration webhook (`INTEGRATION_WEBHOOK_URL` and `INTEGRATION_WEBHOOK_SECRET`): one signed
   * `call.completed` event per finalised call (docs/integration-webhook.md). Absent: none is sent.
   */
  integrationWebhook?: { url: string; secret: string };
  /** AWS: the SQS queue that delays each integration webhook retry until it is due (set by the stack). */
  webhookRetryQueueUrl?: string;
  /** The finalisation sweeper (DESIGN §3 Finalisation sweeper). */
  finalisation: {
    /** `FINALISATION_SWEEP_SECONDS`: how often it runs (default 300). */
    sweepSeconds: number;
    /** `FINALISATION_GRACE_SECONDS`: how long after a call ends it waits for Twilio's callback (default 120). */
    graceSeconds: number;
  };
}

export interface CallbackScheduleConfig {
  /** The function a schedule invokes with the request (`CALLBACK_TARGET_ARN`). */
  targetArn: string;
  /** The role EventBridge Scheduler assumes to invoke it (`CALLBACK_SCHEDULE_ROLE_ARN`). */
  roleArn: string;
  /** `CALLBACK_SCHEDULE_GROUP`; the account's `default` group when unset. */
  groupName?: string;
  /** `CALLBACK_DEAD_LETTER_ARN`: an SQS queue for firings that could not be delivered. */
  deadLetterArn?: string;
}

const optionalString = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v === '' ? undefined : v));

const url = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => {
        try {
          return protocols.includes(new URL(v).protocol);
        } catch {
          return false;
        }
      },
      `must be a ${protocols.join(' or ')} URL`,
    )
    .transform((v) => v.replace(/\/+$/, ''));

const e164 = z.string().trim().refine(isE164, 'must be an E.164 phone number such as +15551234567');

const arn = z
  .string()
  .trim()
  .regex(/^arn:aws[a-z-]*:[a-z0-9-]+:/, 'must be an ARN (arn:aws:…)');

const timeZone = z
  .string()
  .trim()
  .refine(isIanaTimeZone, 'must be an IANA time zone such as America/New_York');

/** Every environment setting, validated; `config-reference.ts` describes each one for the docs. */
export const envSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).optional(),
  PUBLIC_URL: url(['https:', 'http:']),
  STREAM_URL: url(['wss:', 'ws:']).optional(),
  TWILIO_ACCOUNT_SID: z
    .string()
    .trim()
    .regex(/^AC[0-9a-fA-F]{32}$/, 'must look like AC followed by 32 hex characters'),
  TWILIO_AUTH_TOKEN: z.string().trim().min(1, 'is required'),
  TWILIO_PHONE_NUMBER: e164,
  TWILIO_API_URL: url(['https:', 'http:']).optional(),
  VOICE_PROVIDER: z.enum(ENGINE_NAMES).default(DEFAULT_ENGINE),
  VOICE_PROVIDER_PARAMETER: optionalString,
  ELEVENLABS_API_KEY: optionalString,
  ELEVENLABS_AGENT_ID: optionalString,
  ELEVENLABS_API_URL: url(['https:', 'http:']).default('https://api.elevenlabs.io'),
  ELEVENLABS_WEBHOOK_SECRET: optionalString,
  OPENAI_API_KEY: optionalString,
  OPENAI_REALTIME_URL: url(['wss:', 'ws:']).default('wss://api.openai.com/v1/realtime'),
  OPENAI_REALTIME_MODEL: z.string().trim().min(1).default('gpt-realtime'),
  OPENAI_VOICE: z.string().trim().min(1).default('marin'),
  OPENAI_VAD_EAGERNESS: z.enum(['low', 'medium', 'high', 'auto']).default('low'),
  SUPABASE_URL: url(['https:', 'http:']).optional(),
  SUPABASE_SERVICE_ROLE_KEY: optionalString,
  GOOGLE_SERVICE_ACCOUNT_JSON: optionalString,
  GOOGLE_CALENDAR_ID: optionalString,
  RESEND_API_KEY: optionalString,
  RESEND_API_URL: url(['https:', 'http:']).optional(),
  EMAIL_FROM: z.string().trim().min(3).default('Bolt Voice <receptionist@example.com>'),
  OWNER_EMAIL: z.email('must be an email address').optional(),
  BUSINESS_NAME: z.string().trim().min(1).default('Bolt'),
  BUSINESS_TIMEZONE: timeZone.default('America/New_York'),
  BUSINESS_HOURS: z.string().trim().default('mon-fri 09:00-17:00'),
  BUSINESS_PROFILE_PARAMETER: optionalString,
  BUSINESS_PROFILE_FILE: optionalString,
  ...costRateEnvShape,
  CALLS_API_KEY: optionalString,
  OWNER_PHONE: e164.optional(),
  SMS_ENABLED: z.enum(['true', 'false'], 'must be true or false').default('true'),
  SMS_FROM: e164.optional(),
  SMS_MESSAGING_SERVICE_SID: z
    .string()
    .trim()
    .regex(/^MG[0-9a-fA-F]{32}$/, 'must be a Messaging Service SID (MG and 32 hex digits)')
    .optional(),
  OUTBOUND_ALLOWED_COUNTRIES: z
    .string()
    .default('US,CA')
    .transform((v) =>
      v
        .split(',')
        .map((c) => c.trim().toUpperCase())
        .filter(Boolean),
    )
    .refine(
      (list) => list.every((c) => /^[A-Z]{2}$/.test(c)),
      'must be ISO 3166 alpha-2 codes, comma-separated',
    ),
  CALLBACK_TARGET_ARN: arn.optional(),
  CALLBACK_SCHEDULE_ROLE_ARN: arn.optional(),
  CALLBACK_SCHEDULE_GROUP: optionalString,
  CALLBACK_DEAD_LETTER_ARN: arn.optional(),
  ENGINE_CONNECT_TIMEOUT_MS: z.coerce.number().int().min(100).max(60000).default(3000),
  BARGE_IN_MIN_MS: z.coerce.number().int().min(0).max(5000).default(1300),
  MAX_CALL_SECONDS: z.coerce.number().int().min(5).max(14400).default(900),
  CALL_TABLE_NAME: z.string().trim().min(1).default('bolt-voice-calls'),
  DYNAMODB_ENDPOINT: url(['https:', 'http:']).optional(),
  LOCAL_OUTBOX_DIR: z.string().trim().min(1).default('.local/outbox'),
  CALLER_CONTEXT_TRUST: z.enum(['attested', 'any']).default('attested'),
  BOOKING_HORIZON_DAYS: z.coerce.number().int().min(1).max(730).default(60),
  RECORD_CALLS: z.enum(['off', 'on']).default('off'),
  INTEGRATION_WEBHOOK_URL: z
    .string()
    .trim()
    .refine(
      (v) => URL.canParse(v) && ['https:', 'http:'].includes(new URL(v).protocol),
      'must be an https URL',
    )
    .optional(),
  INTEGRATION_WEBHOOK_SECRET: z.string().trim().min(16, 'must be at least 16 characters').optional(),
  WEBHOOK_RETRY_QUEUE_URL: url(['https:']).optional(),
  LOCAL_RECORDINGS_DIR: z.string().trim().min(1).default('.local/recordings'),
  RECORDINGS_BUCKET: optionalString,
  FINALISATION_SWEEP_SECONDS: z.coerce.number().int().min(1).max(86400).default(300),
  FINALISATION_GRACE_SECONDS: z.coerce.number().int().min(0).max(86400).default(120),
});

export type EnvSettingName = keyof typeof envSchema.shape;

type Env = Record<string, string | undefined>;

export interface LoadOptions {
  /** Port used when PORT is unset: 3000 for the local stack, 8080 for the bridge container. */
  defaultPort?: number;
  /** The bridge in AWS must reach at least one real engine; the local stack has simulated ones. */
  requireEngine?: boolean;
}

export function loadConfig(env: Env = process.env, options: LoadOptions = {}): Config {
  // Treat empty strings as unset so a blank line in .env means "use the default".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v.trim() !== ''),
  );
  const parsed = envSchema.safeParse(cleaned);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const name = String(issue.path[0] ?? '(environment)');
      const missing = issue.code === 'invalid_type' && cleaned[name] === undefined;
      problems.push(missing ? `${name} is required` : `${name} ${issue.message}`);
    }
    throw new ConfigError(problems);
  }
  const e = parsed.data;

  pairRequired(
    problems,
    'ELEVENLABS_API_KEY',
    e.ELEVENLABS_API_KEY,
    'ELEVENLABS_AGENT_ID',
    e.ELEVENLABS_AGENT_ID,
  );
  pairRequired(
    problems,
    'SUPABASE_URL',
    e.SUPABASE_URL,
    'SUPABASE_SERVICE_ROLE_KEY',
    e.SUPABASE_SERVICE_ROLE_KEY,
  );
  pairRequired(
    problems,
    'GOOGLE_SERVICE_ACCOUNT_JSON',
    e.GOOGLE_SERVICE_ACCOUNT_JSON,
    'GOOGLE_CALENDAR_ID',
    e.GOOGLE_CALENDAR_ID,
  );
  pairRequired(
    problems,
    'INTEGRATION_WEBHOOK_URL',
    e.INTEGRATION_WEBHOOK_URL,
    'INTEGRATION_WEBHOOK_SECRET',
    e.INTEGRATION_WEBHOOK_SECRET,
  );
  pairRequired(
    problems,
    'CALLBACK_TARGET_ARN',
    e.CALLBACK_TARGET_ARN,
    'CALLBACK_SCHEDULE_ROLE_ARN',
    e.CALLBACK_SCHEDULE_ROLE_ARN,
  );
  for (const [name, value] of [
    ['CALLBACK_SCHEDULE_GROUP', e.CALLBACK_SCHEDULE_GROUP],
    ['CALLBACK_DEAD_LETTER_ARN', e.CALLBACK_DEAD_LETTER_ARN],
  ] as const) {
    if (value && !e.CALLBACK_TARGET_ARN) problems.push(`CALLBACK_TARGET_ARN is required when ${name} is set`);
  }
  if (options.requireEngine && !e.ELEVENLABS_API_KEY && !e.OPENAI_API_KEY) {
    problems.push(
      'ELEVENLABS_API_KEY and ELEVENLABS_AGENT_ID, or OPENAI_API_KEY, are required (no engine configured)',
    );
  }
  if (e.GOOGLE_SERVICE_ACCOUNT_JSON) {
    try {
      JSON.parse(e.GOOGLE_SERVICE_ACCOUNT_JSON);
    } catch {
      problems.push('GOOGLE_SERVICE_ACCOUNT_JSON must be the JSON key of a service account');
    }
  }
  let hours: BusinessHours = [];
  try {
    hours = parseBusinessHours(e.BUSINESS_HOURS);
  } catch (error) {
    problems.push(`BUSINESS_HOURS ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const streamUrl = e.STREAM_URL ?? routeUrl(e.PUBLIC_URL.replace(/^http/, 'ws'), BRIDGE_ROUTES.mediaStream);
  return {
    port: e.PORT ?? options.defaultPort ?? 3000,
    publicUrl: e.PUBLIC_URL,
    streamUrl,
    twilio: {
      accountSid: e.TWILIO_ACCOUNT_SID,
      authToken: e.TWILIO_AUTH_TOKEN,
      phoneNumber: e.TWILIO_PHONE_NUMBER,
      apiUrl: e.TWILIO_API_URL,
    },
    voiceProvider: e.VOICE_PROVIDER,
    voiceProviderParameter: e.VOICE_PROVIDER_PARAMETER,
    elevenlabs: ifBoth(e.ELEVENLABS_API_KEY, e.ELEVENLABS_AGENT_ID, (apiKey, agentId) => ({
      apiKey,
      agentId,
    })),
    elevenlabsApiUrl: e.ELEVENLABS_API_URL,
    elevenlabsWebhookSecret: e.ELEVENLABS_WEBHOOK_SECRET,
    openai: e.OPENAI_API_KEY ? { apiKey: e.OPENAI_API_KEY } : undefined,
    openaiRealtimeUrl: e.OPENAI_REALTIME_URL,
    openaiRealtimeModel: e.OPENAI_REALTIME_MODEL,
    openaiVoice: e.OPENAI_VOICE,
    openaiVadEagerness: e.OPENAI_VAD_EAGERNESS,
    supabase: ifBoth(e.SUPABASE_URL, e.SUPABASE_SERVICE_ROLE_KEY, (url, serviceRoleKey) => ({
      url,
      serviceRoleKey,
    })),
    google: ifBoth(e.GOOGLE_SERVICE_ACCOUNT_JSON, e.GOOGLE_CALENDAR_ID, (serviceAccountJson, calendarId) => ({
      serviceAccountJson,
      calendarId,
    })),
    resendApiKey: e.RESEND_API_KEY,
    resendApiUrl: e.RESEND_API_URL,
    emailFrom: e.EMAIL_FROM,
    ownerEmail: e.OWNER_EMAIL,
    business: { name: e.BUSINESS_NAME, timezone: e.BUSINESS_TIMEZONE, hours, hoursText: e.BUSINESS_HOURS },
    businessProfileParameter: e.BUSINESS_PROFILE_PARAMETER,
    businessProfileFile: e.BUSINESS_PROFILE_FILE,
    costRates: costRatesFromEnv(e),
    callsApiKey: e.CALLS_API_KEY,
    ownerPhone: e.OWNER_PHONE,
    sms: {
      enabled: e.SMS_ENABLED === 'true',
      from: e.SMS_FROM ?? e.TWILIO_PHONE_NUMBER,
      messagingServiceSid: e.SMS_MESSAGING_SERVICE_SID,
    },
    outboundAllowedCountries: e.OUTBOUND_ALLOWED_COUNTRIES,
    callbacks: ifBoth(e.CALLBACK_TARGET_ARN, e.CALLBACK_SCHEDULE_ROLE_ARN, (targetArn, roleArn) => ({
      targetArn,
      roleArn,
      groupName: e.CALLBACK_SCHEDULE_GROUP,
      deadLetterArn: e.CALLBACK_DEAD_LETTER_ARN,
    })),
    engineConnectTimeoutMs: e.ENGINE_CONNECT_TIMEOUT_MS,
    bargeInMinMs: e.BARGE_IN_MIN_MS,
    maxCallSeconds: e.MAX_CALL_SECONDS,
    callTableName: e.CALL_TABLE_NAME,
    dynamodbEndpoint: e.DYNAMODB_ENDPOINT,
    localOutboxDir: e.LOCAL_OUTBOX_DIR,
    callerContextTrust: e.CALLER_CONTEXT_TRUST,
    bookingHorizonDays: e.BOOKING_HORIZON_DAYS,
    recording: {
      enabled: e.RECORD_CALLS === 'on',
      localDir: e.LOCAL_RECORDINGS_DIR,
      bucket: e.RECORDINGS_BUCKET,
    },
    integrationWebhook: ifBoth(e.INTEGRATION_WEBHOOK_URL, e.INTEGRATION_WEBHOOK_SECRET, (url, secret) => ({
      url,
      secret,
    })),
    webhookRetryQueueUrl: e.WEBHOOK_RETRY_QUEUE_URL,
    finalisation: { sweepSeconds: e.FINALISATION_SWEEP_SECONDS, graceSeconds: e.FINALISATION_GRACE_SECONDS },
  };
}

/** A group of settings built from two that go together (`pairRequired`): absent unless both are set. */
function ifBoth<T>(
  a: string | undefined,
  b: string | undefined,
  build: (a: string, b: string) => T,
): T | undefined {
  return a && b ? build(a, b) : undefined;
}

function pairRequired(
  problems: string[],
  aName: string,
  a: string | undefined,
  bName: string,
  b: string | undefined,
): void {
  if (a && !b) problems.push(`${bName} is required when ${aName} is set`);
  if (b && !a) problems.push(`${aName} is required when ${bName} is set`);
}
