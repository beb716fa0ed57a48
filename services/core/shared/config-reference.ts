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

const COST_RATE = (what: string): EnvSettingDoc => ({
  description: `Rate of the estimated cost per call: ${what} (\`services/core/after-call/call-cost.ts\`). An estimate, not a bill.`,
  places: ['Lambda', 'local'],
  inAws: 'default',
});

export const ENV_SETTINGS: Readonly<Record<EnvSettingName, EnvSettingDoc>> = {
  PORT: {
    description: 'Listen port of the local stack or the bridge container.',
    places: ['bridge', 'local'],
    inAws: 'stack',
    defaultText: '3000 locally, 8080 in the bridge container',
  },
  PUBLIC_URL: {
    description:
      'Public https base URL of the webhooks. Every Twilio signature is checked against it. `npm start` without Twilio values fills it in.',
    places: ALL,
    inAws: 'stack',
  },
  STREAM_URL: {
    description:
      "`wss://` URL of the bridge's `/media-stream`, put in the TwiML and checked in the handshake signature. In AWS: `wss://<bridgeDomainName>/media-stream`.",
    places: ALL,
    inAws: 'stack',
    defaultText: '`PUBLIC_URL` in `ws(s)://` form + `/media-stream`',
  },
  TWILIO_ACCOUNT_SID: {
    description:
      'The Twilio account (AC + 32 hex). Set one Twilio value and all three and `PUBLIC_URL` are required; set none and `npm start` makes up a local account.',
    places: ALL,
    inAws: 'secret',
    secret: true,
  },
  TWILIO_AUTH_TOKEN: {
    description: 'Twilio auth token: it signs every webhook and stream handshake.',
    places: ALL,
    inAws: 'secret',
    secret: true,
  },
  TWILIO_PHONE_NUMBER: {
    description: "The business's Twilio number (E.164).",
    places: ALL,
    inAws: 'stack',
  },
  TWILIO_API_URL: {
    description: 'Base URL of the Twilio REST API, for stand-ins.',
    places: ALL,
    inAws: 'not used',
    defaultText: "Twilio's own",
  },
  VOICE_PROVIDER: {
    description:
      'The engine for new calls, `elevenlabs` or `openai`, in the local stack. In AWS the SSM parameter named by `VOICE_PROVIDER_PARAMETER` rules.',
    places: ['local'],
    inAws: 'not used',
  },
  VOICE_PROVIDER_PARAMETER: {
    description:
      'The SSM parameter holding the provider flag (`/bolt-voice/<stage>/voice-provider`), read per call with a 10 s cache.',
    places: AWS,
    inAws: 'stack',
  },
  ELEVENLABS_API_KEY: {
    description:
      'ElevenLabs key: fetches a signed URL per call. Unset locally: the simulated engine. With `ELEVENLABS_AGENT_ID`, both or neither.',
    places: ['bridge', 'local'],
    inAws: 'secret',
    secret: true,
  },
  ELEVENLABS_AGENT_ID: {
    description: 'The ElevenLabs agent (`npm run agent:sync` sets it up).',
    places: ['bridge', 'local'],
    inAws: 'secret',
  },
  ELEVENLABS_API_URL: {
    description: 'Base of the ElevenLabs REST API; the signed URL it returns is used as is.',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  ELEVENLABS_WEBHOOK_SECRET: {
    description: 'HMAC secret of the ElevenLabs post-call webhook.',
    places: ['Lambda', 'local'],
    inAws: 'secret',
    secret: true,
  },
  OPENAI_API_KEY: {
    description: 'OpenAI Realtime key: the fallback engine. Unset locally: the simulated engine.',
    places: ['bridge', 'local'],
    inAws: 'secret',
    secret: true,
  },
  OPENAI_REALTIME_URL: {
    description: 'The OpenAI Realtime socket URL.',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  OPENAI_REALTIME_MODEL: {
    description: 'The OpenAI Realtime model.',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  OPENAI_VOICE: {
    description: 'The OpenAI voice.',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  OPENAI_VAD_EAGERNESS: {
    description:
      'Semantic-VAD eagerness of OpenAI (`low`, `medium`, `high`, `auto`): low, so a pause to think does not end the turn.',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  SUPABASE_URL: {
    description:
      'The CRM (Supabase). Required in AWS; unset locally: the in-memory CRM. With `SUPABASE_SERVICE_ROLE_KEY`, both or neither.',
    places: ALL,
    inAws: 'secret',
  },
  SUPABASE_SERVICE_ROLE_KEY: {
    description: 'The Supabase service-role key (server side only; row level security has no policies).',
    places: ALL,
    inAws: 'secret',
    secret: true,
  },
  GOOGLE_SERVICE_ACCOUNT_JSON: {
    description:
      "A Google service account's JSON key. Share the calendar with its `client_email`. Required in AWS; unset locally: the in-memory calendar.",
    places: ALL,
    inAws: 'secret',
    secret: true,
  },
  GOOGLE_CALENDAR_ID: {
    description: 'The calendar the agent books in (`googleCalendarId` in `cdk.json`).',
    places: ALL,
    inAws: 'stack',
  },
  RESEND_API_KEY: {
    description:
      'Email through Resend. Required in AWS; unset locally: each message is a JSON file in `LOCAL_OUTBOX_DIR`.',
    places: ALL,
    inAws: 'secret',
    secret: true,
  },
  RESEND_API_URL: {
    description: 'Base URL of the Resend API, for stand-ins.',
    places: ALL,
    inAws: 'not used',
    defaultText: "Resend's own",
  },
  EMAIL_FROM: {
    description: 'Sender of every email.',
    places: ALL,
    inAws: 'stack',
  },
  OWNER_EMAIL: {
    description: "The owner's address: call emails and the daily digest.",
    places: ALL,
    inAws: 'stack',
    defaultText: '`owner@example.com` locally when mail goes to the outbox',
  },
  BUSINESS_NAME: {
    description: 'Who the agent answers for.',
    places: ALL,
    inAws: 'stack',
  },
  BUSINESS_TIMEZONE: {
    description: 'IANA time zone of the business: dates, hours, the digest and tool limits are local to it.',
    places: ALL,
    inAws: 'stack',
  },
  BUSINESS_HOURS: {
    description:
      'When the agent may book or call, as `mon-fri 09:00-17:00,sat 10:00-14:00` (days `mon`…`sun`, `24:00` allowed as an end).',
    places: ALL,
    inAws: 'stack',
  },
  BUSINESS_PROFILE_PARAMETER: {
    description:
      'The SSM parameter holding the business profile (`/bolt-voice/<stage>/business-profile`, JSON, at most 4096 bytes), read per call with a 60 s cache.',
    places: ['bridge'],
    inAws: 'stack',
  },
  BUSINESS_PROFILE_FILE: {
    description:
      'The business profile as a JSON file (see `business-profile.example.json`). Unset: the demo business.',
    places: ['local'],
    inAws: 'not used',
  },
  COST_CURRENCY: COST_RATE('the currency (ISO 4217)'),
  COST_TWILIO_INBOUND_PER_MINUTE: COST_RATE('Twilio, an inbound minute'),
  COST_TWILIO_OUTBOUND_PER_MINUTE: COST_RATE('Twilio, an outbound minute'),
  COST_ELEVENLABS_PER_MINUTE: COST_RATE('ElevenLabs, a minute'),
  COST_OPENAI_TEXT_INPUT_PER_MTOK: COST_RATE('OpenAI, a million text input tokens'),
  COST_OPENAI_AUDIO_INPUT_PER_MTOK: COST_RATE('OpenAI, a million audio input tokens'),
  COST_OPENAI_CACHED_INPUT_PER_MTOK: COST_RATE('OpenAI, a million cached input tokens'),
  COST_OPENAI_TEXT_OUTPUT_PER_MTOK: COST_RATE('OpenAI, a million text output tokens'),
  COST_OPENAI_AUDIO_OUTPUT_PER_MTOK: COST_RATE('OpenAI, a million audio output tokens'),
  CALLS_API_KEY: {
    description:
      '`POST /calls` needs `Authorization: Bearer <key>` in the local stack. Unset: generated at start and printed once. In AWS, IAM guards the route instead.',
    places: ['local'],
    inAws: 'not used',
    secret: true,
    defaultText: 'random per run',
  },
  OWNER_PHONE: {
    description: 'Where `transfer_to_human` dials (E.164), unless the business profile names another number.',
    places: ['bridge', 'local'],
    inAws: 'stack',
  },
  SMS_ENABLED: {
    description: 'Texts (booking confirmations, reminders, missed-call text-back): `true` or `false`.',
    places: ALL,
    inAws: 'stack',
  },
  SMS_FROM: {
    description: 'Sender of texts (E.164).',
    places: ALL,
    inAws: 'stack',
    defaultText: '`TWILIO_PHONE_NUMBER`',
  },
  SMS_MESSAGING_SERVICE_SID: {
    description: 'Send texts through this Messaging Service (`MG…`) instead (US A2P 10DLC: docs/deploy.md).',
    places: ALL,
    inAws: 'stack',
  },
  OUTBOUND_ALLOWED_COUNTRIES: {
    description:
      'ISO 3166 alpha-2 codes, comma-separated, that `POST /calls` may dial and texts may go to (toll-fraud guard).',
    places: ALL,
    inAws: 'stack',
  },
  CALLBACK_TARGET_ARN: {
    description:
      'The function a one-time callback schedule invokes. Unset locally: due callbacks run on a timer in the local stack.',
    places: AWS,
    inAws: 'stack',
  },
  CALLBACK_SCHEDULE_ROLE_ARN: {
    description: 'The role EventBridge Scheduler assumes to invoke `CALLBACK_TARGET_ARN`.',
    places: AWS,
    inAws: 'stack',
  },
  CALLBACK_SCHEDULE_GROUP: {
    description: 'The schedule group of callbacks.',
    places: AWS,
    inAws: 'stack',
    defaultText: "the account's `default` group",
  },
  CALLBACK_DEAD_LETTER_ARN: {
    description: 'The SQS queue for schedule firings that could not be delivered.',
    places: AWS,
    inAws: 'stack',
  },
  ENGINE_CONNECT_TIMEOUT_MS: {
    description: 'How long an engine may take to be ready before failover, at start and mid-call (ms).',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  BARGE_IN_MIN_MS: {
    description:
      'OpenAI: caller speech over the agent this long (ms) interrupts it without waiting for words; shorter speech pauses the agent and its transcript decides.',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  MAX_CALL_SECONDS: {
    description: "A call's length limit, at least 5 s. The agent is told to wrap up a minute before it.",
    places: ['bridge', 'local'],
    inAws: 'stack',
  },
  CALL_TABLE_NAME: {
    description: 'The DynamoDB table of call sessions.',
    places: ALL,
    inAws: 'stack',
  },
  DYNAMODB_ENDPOINT: {
    description: 'Use this DynamoDB instead of the embedded one (dynalite).',
    places: ['local'],
    inAws: 'not used',
  },
  LOCAL_OUTBOX_DIR: {
    description:
      'Where the embedded mailer writes each message as one JSON file `{to, from, subject, text, html?, sentAt}`.',
    places: ['local'],
    inAws: 'not used',
  },
  CALLER_CONTEXT_TRUST: {
    description:
      "`attested`: what the CRM knows about a caller reaches the agent only when Twilio's `StirVerstat` is `TN-Validation-Passed-A`; `any`: always.",
    places: ['Lambda', 'local'],
    inAws: 'default',
  },
  BOOKING_HORIZON_DAYS: {
    description: 'How far ahead `book_appointment` may book (days).',
    places: ['bridge', 'local'],
    inAws: 'default',
  },
  RECORD_CALLS: {
    description:
      "`on`: the agent's first words say the call is recorded and the bridge keeps one stereo WAV per call. The owner is responsible for consent. In AWS: `recordCalls` in `cdk.json`.",
    places: ['bridge', 'local'],
    inAws: 'stack',
  },
  INTEGRATION_WEBHOOK_URL: {
    description:
      'Where one signed `call.completed` event per finalised call goes (docs/integration-webhook.md). With the secret, both or neither; https in AWS.',
    places: ['Lambda', 'local'],
    inAws: 'secret',
  },
  INTEGRATION_WEBHOOK_SECRET: {
    description: 'Signs the integration webhook events (at least 16 characters).',
    places: ['Lambda', 'local'],
    inAws: 'secret',
    secret: true,
  },
  WEBHOOK_RETRY_QUEUE_URL: {
    description: 'The SQS queue that delays each integration webhook retry until it is due.',
    places: ['Lambda'],
    inAws: 'stack',
    notInEnvExample: 'AWS only, set by the stack; the local stack retries on a one-second timer',
  },
  LOCAL_RECORDINGS_DIR: {
    description: 'Where recordings are written as `<CallSid>.wav` (`.wav.part` until the call ends).',
    places: ['local'],
    inAws: 'not used',
  },
  RECORDINGS_BUCKET: {
    description: 'The recordings bucket: the bridge uploads each WAV, finalisation presigns a link.',
    places: AWS,
    inAws: 'stack',
  },
  FINALISATION_SWEEP_SECONDS: {
    description:
      'How often the finalisation sweeper runs (s): an EventBridge Scheduler rate in AWS (whole minutes), a timer locally.',
    places: ['Lambda', 'local'],
    inAws: 'stack',
  },
  FINALISATION_GRACE_SECONDS: {
    description:
      "How long after a call ends the sweeper waits for Twilio's status callback before asking the REST API (s).",
    places: ['Lambda', 'local'],
    inAws: 'default',
  },
};

/** Settings read before or beside `loadConfig` (not in its schema). */
export const OTHER_ENV_SETTINGS: Readonly<Record<string, EnvSettingDoc>> = {
  SECRETS_ARN: {
    description:
      'The JSON secret (name or ARN) merged under the environment (a variable set on the function wins). Lambdas re-read it every 5 minutes, the bridge at task start.',
    places: AWS,
    inAws: 'stack',
    notInEnvExample: 'AWS only, set by the stack; locally `.env` holds the keys themselves',
  },
};
