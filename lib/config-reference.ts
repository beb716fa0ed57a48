/**
 * What each deployment setting (`boltVoice` in cdk.json, validated by `configSchema` in `config.ts`)
 * means: the source `npm run docs:config` writes docs/configuration.md from. Keyed by the schema's
 * names, so a setting added to the schema does not compile until it is described here.
 */
import type * as z from 'zod';
import type { configSchema } from './config.js';

export type CdkSettingName = keyof z.input<typeof configSchema>;

export interface CdkSettingDoc {
  readonly description: string;
  /** The environment settings the stack derives from it. */
  readonly becomes?: readonly string[];
  /** The default when the schema cannot say it (computed from other settings). */
  readonly defaultText?: string;
}

export const CDK_SETTINGS: Readonly<Record<CdkSettingName, CdkSettingDoc>> = {
  stage: { description: 'Short name of the deployment: part of the stack name and of the parameter paths.' },
  region: {
    description: "Region to deploy to. The account is the CLI's.",
    defaultText: "the certificate's region",
  },
  bridgeDomainName: {
    description: "Public DNS name of the bridge's load balancer.",
    becomes: ['STREAM_URL'],
  },
  certificateArn: { description: "ACM certificate for `bridgeDomainName`, in the stack's region." },
  hostedZone: {
    description:
      '`{hostedZoneId, zoneName}`: the Route 53 zone holding the names; the stack then creates the DNS records. Without it, create them yourself.',
  },
  api: {
    description:
      "`{domainName, certificateArn}`: a custom domain for the webhook API. Default: the API's execute-api URL.",
    becomes: ['PUBLIC_URL'],
  },
  twilioPhoneNumber: {
    description: "The business's Twilio number (E.164).",
    becomes: ['TWILIO_PHONE_NUMBER'],
  },
  business: {
    description: '`{name, timeZone, hours}`; `hours` defaults to `mon-fri 09:00-17:00`.',
    becomes: ['BUSINESS_NAME', 'BUSINESS_TIMEZONE', 'BUSINESS_HOURS'],
  },
  ownerEmail: { description: "The owner's address.", becomes: ['OWNER_EMAIL'] },
  emailFrom: { description: 'Sender of every email.', becomes: ['EMAIL_FROM'] },
  ownerPhone: { description: 'Where `transfer_to_human` dials.', becomes: ['OWNER_PHONE'] },
  sms: {
    description: '`{enabled, from?, messagingServiceSid?}`: texts through the same Twilio account.',
    becomes: ['SMS_ENABLED', 'SMS_FROM', 'SMS_MESSAGING_SERVICE_SID'],
  },
  googleCalendarId: {
    description:
      'The calendar the agent books in. Required: the bridge and PlaceCall do not start without it.',
    becomes: ['GOOGLE_CALENDAR_ID'],
  },
  secretName: {
    description: 'The Secrets Manager secret holding the keys, created by `npm run setup` before the deploy.',
    becomes: ['SECRETS_ARN'],
    defaultText: '`bolt-voice/<stage>`',
  },
  outboundAllowedCountries: {
    description: 'ISO 3166 alpha-2 codes `POST /calls` may dial and texts may go to.',
    becomes: ['OUTBOUND_ALLOWED_COUNTRIES'],
  },
  alarmEmail: { description: 'Where alarms go (an SNS email subscription, confirmed once).' },
  digestTime: { description: 'Local time (business time zone) of the daily digest.' },
  logRetentionDays: { description: 'Retention of every log group (a CloudWatch Logs value).' },
  bridge: {
    description:
      '`{cpu, memoryMiB, minTasks, maxTasks, targetCallsPerTask}`: the bridge task size and auto-scaling (sizing: docs/benchmark.md).',
  },
  recordCalls: {
    description: '`off` or `on`: record every call (docs/runbook.md, Recordings).',
    becomes: ['RECORD_CALLS'],
  },
  recordingRetentionDays: {
    description: 'The recordings bucket deletes each recording this many days after it was written.',
  },
  apiThrottle: {
    description: '`{rateLimit, burstLimit}`: requests per second and burst of the webhook API stage.',
  },
};
