/**
 * What each environment setting means, beside the schema that validates it (`config.ts`): the one
 * source `npm run docs:config` writes docs/configuration.md from. Kept out of `config.ts` so the
 * descriptions never reach a Lambda bundle. The record is keyed by the schema's names, so a setting
 * added to the schema does not compile until it is described here.
 */
import type { EnvSettingName } from './config.js';

/** Where a setting is read: the webhook Lambdas, the Fargate bridge, the local stack (`npm start`). */
export type SettingPlace = 'Lambda' | 'bridge' | 'local';

export interface EnvSettingDoc {
  readonly description: string;
  readonly places: readonly SettingPlace[];
  /** How the value gets there in AWS: a key of the secret, set by the stack, or not set at all. */
  readonly inAws: 'secret' | 'stack' | 'default' | 'not used';
  /** Holds a credential: never logged, never in the template (in AWS a key of the secret). */
  readonly secret?: boolean;
  /** The default when the schema cannot say it (computed at start). */
  readonly defaultText?: string;
  /** Why the setting is not in `.env.example`; absent: it must be there. */
  readonly notInEnvExample?: string;
}

const ALL: readonly SettingPlace[] = ['Lambda', 'bridge', 'local'];
const AWS: readonly SettingPlace[] = ['Lambda', 'bridge'];
const BRIDGE_LOCAL: readonly SettingPlace[] = ['bridge', 'local'];
const LAMBDA_LOCAL: readonly SettingPlace[] = ['Lambda', 'local'];

type DocExtras = Pick<EnvSettingDoc, 'secret' | 'defaultText' | 'notInEnvExample'>;

/** One maker per way a value reaches AWS, so each entry says only what is its own. */
const settingSet =
  (inAws: EnvSettingDoc['inAws'], always: DocExtras = {}) =>
  (places: readonly SettingPlace[], description: string, extras: DocExtras = {}): EnvSettingDoc => ({
    description,
    places,
    inAws,
    ...always,
    ...extras,
  });

const fromStack = settingSet('stack');
const byDefault = settingSet('default');
const notInAws = settingSet('not used');
/** A key of the secret that is not itself a credential (an id, a URL). */
const secretKey = settingSet('secret');
const credential = settingSet('secret', { secret: true });

const COST_RATE = (what: string): EnvSettingDoc =>
  byDefault(
    LAMBDA_LOCAL,
    `Rate of the estimated cost per call: ${what} (\`services/core/after-call/call-cost.ts\`). An estimate, not a bill.`,
  );

export const ENV_SETTINGS: Readonly<Record<EnvSettingName, EnvSettingDoc>> = {
  PORT: fromStack(BRIDGE_LOCAL, 'Listen port of the local stack or the bridge container.', {
    defaultText: '3000 locally, 8080 in the bridge container',
  }),
  PUBLIC_URL: fromStack(
    ALL,
    'Public https base URL of the webhooks. Every Twilio signature is checked against it. `npm start` without Twilio values fills it in.',
  ),
  STREAM_URL: fromStack(
    ALL,
    "`wss://` URL of the bridge's `/media-stream`, put in the TwiML and checked in the handshake signature. In AWS: `wss://<bridgeDomainName>/media-stream`.",
    { defaultText: '`PUBLIC_URL` in `ws(s)://` form + `/media-stream`' },
  ),
  TWILIO_ACCOUNT_SID: credential(
    ALL,
    'The Twilio account (AC + 32 hex). Set one Twilio value and all three and `PUBLIC_URL` are required; set none and `npm start` makes up a local account.',
  ),
  TWILIO_AUTH_TOKEN: credential(ALL, 'Twilio auth token: it signs every webhook and stream handshake.'),
  TWILIO_PHONE_NUMBER: fromStack(ALL, "The business's Twilio number (E.164)."),
  TWILIO_API_URL: notInAws(ALL, 'Base URL of the Twilio REST API, for stand-ins.', {
    defaultText: "Twilio's own",
  }),
  VOICE_PROVIDER: notInAws(
    ['local'],
    'The engine for new calls, `elevenlabs` or `openai`, in the local stack. In AWS the SSM parameter named by `VOICE_PROVIDER_PARAMETER` rules.',
  ),
  VOICE_PROVIDER_PARAMETER: fromStack(
    AWS,
    'The SSM parameter holding the provider flag (`/bolt-voice/<stage>/voice-provider`), read per call with a 10 s cache.',
  ),
  ELEVENLABS_API_KEY: credential(
    BRIDGE_LOCAL,
    'ElevenLabs key: fetches a signed URL per call. Unset locally: the simulated engine. With `ELEVENLABS_AGENT_ID`, both or neither.',
  ),
  ELEVENLABS_AGENT_ID: secretKey(BRIDGE_LOCAL, 'The ElevenLabs agent (`npm run agent:sync` sets it up).'),
  ELEVENLABS_API_URL: byDefault(
    BRIDGE_LOCAL,
    'Base of the ElevenLabs REST API; the signed URL it returns is used as is.',
  ),
  ELEVENLABS_WEBHOOK_SECRET: credential(LAMBDA_LOCAL, 'HMAC secret of the ElevenLabs post-call webhook.'),
  OPENAI_API_KEY: credential(
    BRIDGE_LOCAL,
    'OpenAI Realtime key: the fallback engine. Unset locally: the simulated engine.',
  ),
  OPENAI_REALTIME_URL: byDefault(BRIDGE_LOCAL, 'The OpenAI Realtime socket URL.'),
  OPENAI_REALTIME_MODEL: byDefault(BRIDGE_LOCAL, 'The OpenAI Realtime model.'),
  OPENAI_VOICE: byDefault(BRIDGE_LOCAL, 'The OpenAI voice.'),
  OPENAI_VAD_EAGERNESS: byDefault(
    BRIDGE_LOCAL,
    'Semantic-VAD eagerness of OpenAI (`low`, `medium`, `high`, `auto`): low, so a pause to think does not end the turn.',
  ),
  SUPABASE_URL: secretKey(
    ALL,
    'The CRM (Supabase). Required in AWS; unset locally: the in-memory CRM. With `SUPABASE_SERVICE_ROLE_KEY`, both or neither.',
  ),
  SUPABASE_SERVICE_ROLE_KEY: credential(
    ALL,
    'The Supabase service-role key (server side only; row level security has no policies).',
  ),
  GOOGLE_SERVICE_ACCOUNT_JSON: credential(
    ALL,
    "A Google service account's JSON key. Share the calendar with its `client_email`. Required in AWS; unset locally: the in-memory calendar.",
  ),
  GOOGLE_CALENDAR_ID: fromStack(ALL, 'The calendar the agent books in (`googleCalendarId` in `cdk.json`).'),
  RESEND_API_KEY: credential(
    ALL,
    'Email through Resend. Required in AWS; unset locally: each message is a JSON file in `LOCAL_OUTBOX_DIR`.',
  ),
  RESEND_API_URL: notInAws(ALL, 'Base URL of the Resend API, for stand-ins.', {
    defaultText: "Resend's own",
  }),
  EMAIL_FROM: fromStack(ALL, 'Sender of every email.'),
  OWNER_EMAIL: fromStack(ALL, "The owner's address: call emails and the daily digest.", {
    defaultText: '`owner@example.com` locally when mail goes to the outbox',
  }),
  BUSINESS_NAME: fromStack(ALL, 'Who the agent answers for.'),
  BUSINESS_TIMEZONE: fromStack(
    ALL,
    'IANA time zone of the business: dates, hours, the digest and tool limits are local to it.',
  ),
  BUSINESS_HOURS: fromStack(
    ALL,
    'When the agent may book or call, as `mon-fri 09:00-17:00,sat 10:00-14:00` (days `mon`…`sun`, `24:00` allowed as an end).',
  ),
  BUSINESS_PROFILE_PARAMETER: fromStack(
    ['bridge'],
    'The SSM parameter holding the business profile (`/bolt-voice/<stage>/business-profile`, JSON, at most 4096 bytes), read per call with a 60 s cache.',
  ),
  BUSINESS_PROFILE_FILE: notInAws(
    ['local'],
    'The business profile as a JSON file (see `business-profile.example.json`). Unset: the demo business.',
  ),
  COST_CURRENCY: COST_RATE('the currency (ISO 4217)'),
  COST_TWILIO_INBOUND_PER_MINUTE: COST_RATE('Twilio, an inbound minute'),
  COST_TWILIO_OUTBOUND_PER_MINUTE: COST_RATE('Twilio, an outbound minute'),
  COST_ELEVENLABS_PER_MINUTE: COST_RATE('ElevenLabs, a minute'),
  COST_OPENAI_TEXT_INPUT_PER_MTOK: COST_RATE('OpenAI, a million text input tokens'),
  COST_OPENAI_AUDIO_INPUT_PER_MTOK: COST_RATE('OpenAI, a million audio input tokens'),
  COST_OPENAI_CACHED_INPUT_PER_MTOK: COST_RATE('OpenAI, a million cached input tokens'),
  COST_OPENAI_TEXT_OUTPUT_PER_MTOK: COST_RATE('OpenAI, a million text output tokens'),
  COST_OPENAI_AUDIO_OUTPUT_PER_MTOK: COST_RATE('OpenAI, a million audio output tokens'),
  CALLS_API_KEY: notInAws(
    ['local'],
    '`POST /calls` needs `Authorization: Bearer <key>` in the local stack. Unset: generated at start and printed once. In AWS, IAM guards the route instead.',
    { defaultText: 'random per run', secret: true },
  ),
  OWNER_PHONE: fromStack(
    BRIDGE_LOCAL,
    'Where `transfer_to_human` dials (E.164), unless the business profile names another number.',
  ),
  SMS_ENABLED: fromStack(
    ALL,
    'Texts (booking confirmations, reminders, missed-call text-back): `true` or `false`.',
  ),
  SMS_FROM: fromStack(ALL, 'Sender of texts (E.164).', { defaultText: '`TWILIO_PHONE_NUMBER`' }),
  SMS_MESSAGING_SERVICE_SID: fromStack(
    ALL,
    'Send texts through this Messaging Service (`MG…`) instead (US A2P 10DLC: docs/deploy.md).',
  ),
  OUTBOUND_ALLOWED_COUNTRIES: fromStack(
    ALL,
    'ISO 3166 alpha-2 codes, comma-separated, that `POST /calls` may dial and texts may go to (toll-fraud guard).',
  ),
  CALLBACK_TARGET_ARN: fromStack(
    AWS,
    'The function a one-time callback schedule invokes. Unset locally: due callbacks run on a timer in the local stack.',
  ),
  CALLBACK_SCHEDULE_ROLE_ARN: fromStack(
    AWS,
    'The role EventBridge Scheduler assumes to invoke `CALLBACK_TARGET_ARN`.',
  ),
  CALLBACK_SCHEDULE_GROUP: fromStack(AWS, 'The schedule group of callbacks.', {
    defaultText: "the account's `default` group",
  }),
  CALLBACK_DEAD_LETTER_ARN: fromStack(AWS, 'The SQS queue for schedule firings that could not be delivered.'),
  ENGINE_CONNECT_TIMEOUT_MS: byDefault(
    BRIDGE_LOCAL,
    'How long an engine may take to be ready before failover, at start and mid-call (ms).',
  ),
  BARGE_IN_MIN_MS: byDefault(
    BRIDGE_LOCAL,
    'OpenAI: caller speech over the agent this long (ms) interrupts it without waiting for words; shorter speech pauses the agent and its transcript decides.',
  ),
  MAX_CALL_SECONDS: fromStack(
    BRIDGE_LOCAL,
    "A call's length limit, at least 5 s. The agent is told to wrap up a minute before it.",
  ),
  CALL_TABLE_NAME: fromStack(ALL, 'The DynamoDB table of call sessions.'),
  DYNAMODB_ENDPOINT: notInAws(['local'], 'Use this DynamoDB instead of the embedded one (dynalite).'),
  LOCAL_OUTBOX_DIR: notInAws(
    ['local'],
    'Where the embedded mailer writes each message as one JSON file `{to, from, subject, text, html?, sentAt}`.',
  ),
  CALLER_CONTEXT_TRUST: byDefault(
    LAMBDA_LOCAL,
    "`attested`: what the CRM knows about a caller reaches the agent only when Twilio's `StirVerstat` is `TN-Validation-Passed-A`; `any`: always.",
  ),
  BOOKING_HORIZON_DAYS: byDefault(BRIDGE_LOCAL, 'How far ahead `book_appointment` may book (days).'),
  RECORD_CALLS: fromStack(
    BRIDGE_LOCAL,
    "`on`: the agent's first words say the call is recorded and the bridge keeps one stereo WAV per call. The owner is responsible for consent. In AWS: `recordCalls` in `cdk.json`.",
  ),
  INTEGRATION_WEBHOOK_URL: secretKey(
    LAMBDA_LOCAL,
    'Where one signed `call.completed` event per finalised call goes (docs/integration-webhook.md). With the secret, both or neither; https in AWS.',
  ),
  INTEGRATION_WEBHOOK_SECRET: credential(
    LAMBDA_LOCAL,
    'Signs the integration webhook events (at least 16 characters).',
  ),
  WEBHOOK_RETRY_QUEUE_URL: fromStack(
    ['Lambda'],
    'The SQS queue that delays each integration webhook retry until it is due.',
    { notInEnvExample: 'AWS only, set by the stack; the local stack retries on a one-second timer' },
  ),
  LOCAL_RECORDINGS_DIR: notInAws(
    ['local'],
    'Where recordings are written as `<CallSid>.wav` (`.wav.part` until the call ends).',
  ),
  RECORDINGS_BUCKET: fromStack(
    AWS,
    'The recordings bucket: the bridge uploads each WAV, finalisation presigns a link.',
  ),
  FINALISATION_SWEEP_SECONDS: fromStack(
    LAMBDA_LOCAL,
    'How often the finalisation sweeper runs (s): an EventBridge Scheduler rate in AWS (whole minutes), a timer locally.',
  ),
  FINALISATION_GRACE_SECONDS: byDefault(
    LAMBDA_LOCAL,
    "How long after a call ends the sweeper waits for Twilio's status callback before asking the REST API (s).",
  ),
};

/** Settings read before or beside `loadConfig` (not in its schema). */
export const OTHER_ENV_SETTINGS: Readonly<Record<string, EnvSettingDoc>> = {
  SECRETS_ARN: fromStack(
    AWS,
    'The JSON secret (name or ARN) merged under the environment (a variable set on the function wins). Lambdas re-read it every 5 minutes, the bridge at task start.',
    { notInEnvExample: 'AWS only, set by the stack; locally `.env` holds the keys themselves' },
  ),
};
