/**
 * Chooses the adapter for each outside system from the configuration. A setting that is present
 * always wins; an absent one means the embedded stand-in in the local stack, and a start-up error
 * in AWS (where a stand-in would silently lose leads and bookings).
 */
import type {
  DigestMarkers,
  FinalisationStore,
  OutboundRequestStore,
  PostCallAnalysisStore,
} from '../core/after-call-ports.js';
import type { CallSessionStore } from '../core/call-session.js';
import { type Config, ConfigError } from '../core/config.js';
import type { DigestDeps } from '../core/daily-digest.js';
import type { FinaliseDeps } from '../core/finalise-call.js';
import type { OutboundSettings, PlaceCallDeps } from '../core/place-call.js';
import type { Calendar, CallbackScheduler, CallControl, Crm, Mailer, ProviderFlag } from '../core/ports.js';
import type { PostCallDeps } from '../core/post-call.js';
import type { ToolRunner } from '../core/tool-types.js';
import { createToolRunner } from '../core/tools/runner.js';
import { GoogleCalendar } from './google-calendar/calendar.js';
import { MemoryCalendar } from './memory/calendar.js';
import { MemoryCrm } from './memory/crm.js';
import { OutboxMailer } from './memory/outbox-mailer.js';
import { ResendMailer } from './resend/mailer.js';
import { SupabaseCrm } from './supabase/crm.js';
import { TwilioCallControl } from './twilio/call-control.js';
import { dialTwiml } from './twilio/dial-twiml.js';

export interface BusinessAdapters {
  crm: Crm;
  calendar: Calendar;
  mailer: Mailer;
  callControl: CallControl;
  /** Which systems are embedded stand-ins (for the start-up log). */
  embedded: string[];
}

export type AdapterMode = 'aws' | 'local';

export function businessAdapters(config: Config, mode: AdapterMode): BusinessAdapters {
  const embedded: string[] = [];
  const missing: string[] = [];
  const timezone = config.business.timezone;

  let crm: Crm;
  if (config.supabase) crm = new SupabaseCrm({ ...config.supabase, timezone });
  else {
    missing.push('SUPABASE_URL and SUPABASE_SERVICE_ROLE_KEY');
    embedded.push('crm');
    crm = new MemoryCrm({ timezone });
  }

  let calendar: Calendar;
  if (config.google) calendar = new GoogleCalendar(config.google);
  else {
    missing.push('GOOGLE_SERVICE_ACCOUNT_JSON and GOOGLE_CALENDAR_ID');
    embedded.push('calendar');
    calendar = new MemoryCalendar();
  }

  let mailer: Mailer;
  if (config.resendApiKey) {
    mailer = new ResendMailer({
      apiKey: config.resendApiKey,
      from: config.emailFrom,
      baseUrl: config.resendApiUrl,
    });
  } else {
    missing.push('RESEND_API_KEY');
    embedded.push('mail');
    mailer = new OutboxMailer({ dir: config.localOutboxDir, from: config.emailFrom });
  }

  if (mode === 'aws' && missing.length > 0) {
    throw new ConfigError(
      missing.map((names) => `${names} ${names.includes(' and ') ? 'are' : 'is'} required in AWS`),
    );
  }
  const callControl = new TwilioCallControl({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    apiUrl: config.twilio.apiUrl,
  });
  return { crm, calendar, mailer, callControl, embedded };
}

/** What placing a call needs besides the business adapters: call-table stores, a scheduler, the flag. */
export interface OutboundWiring {
  sessions: Pick<CallSessionStore, 'open'>;
  requests: OutboundRequestStore;
  scheduler: CallbackScheduler;
  providerFlag: ProviderFlag;
}

/** The stores finalisation, the post-call webhook and the digest work on (the call table). */
export interface AfterCallStores {
  sessions: Pick<CallSessionStore, 'get' | 'markFinalised'>;
  finalisations: FinalisationStore & PostCallAnalysisStore;
  markers: DigestMarkers;
}

export function outboundSettingsFor(config: Config): OutboundSettings {
  return {
    publicUrl: config.publicUrl,
    businessNumber: config.twilio.phoneNumber,
    allowedCountries: config.outboundAllowedCountries,
    business: config.business,
    defaultProvider: config.voiceProvider,
  };
}

/** `placeCall`'s deps: `POST /calls`, a due schedule and the `schedule_callback` tool all use these. */
export function placeCallDepsFor(
  config: Config,
  adapters: Pick<BusinessAdapters, 'crm' | 'callControl'>,
  outbound: OutboundWiring,
  now: () => number = Date.now,
): PlaceCallDeps {
  return {
    settings: outboundSettingsFor(config),
    sessions: outbound.sessions,
    requests: outbound.requests,
    callControl: adapters.callControl,
    scheduler: outbound.scheduler,
    providerFlag: outbound.providerFlag,
    crm: adapters.crm,
    now,
  };
}

/** Deps of finalisation, the post-call merge and the digest (the digest's are a superset). */
export function afterCallDepsFor(
  config: Config,
  adapters: Pick<BusinessAdapters, 'crm' | 'mailer'>,
  stores: AfterCallStores,
  now: () => number = Date.now,
): DigestDeps & PostCallDeps & FinaliseDeps {
  return {
    sessions: stores.sessions,
    finalisations: stores.finalisations,
    analyses: stores.finalisations,
    markers: stores.markers,
    crm: adapters.crm,
    mailer: adapters.mailer,
    ownerEmail: config.ownerEmail,
    business: { name: config.business.name, timezone: config.business.timezone },
    now,
  };
}

export interface ToolRunnerOptions {
  now?: () => number;
  /** Lets `schedule_callback` place calls; without it the tool declines politely. */
  outbound?: OutboundWiring;
}

/** The agent's tools over these adapters, with the business settings of the configuration. */
export function toolRunnerFor(
  config: Config,
  adapters: BusinessAdapters,
  options: ToolRunnerOptions = {},
): ToolRunner {
  const now = options.now ?? Date.now;
  return createToolRunner({
    crm: adapters.crm,
    calendar: adapters.calendar,
    mailer: adapters.mailer,
    callControl: adapters.callControl,
    business: config.business,
    ownerPhone: config.ownerPhone,
    ownerEmail: config.ownerEmail,
    transferTwiml: dialTwiml,
    callbacks: options.outbound ? placeCallDepsFor(config, adapters, options.outbound, now) : undefined,
    now,
  });
}
