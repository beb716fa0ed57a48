/**
 * Chooses the adapter for each outside system from the configuration. A setting that is present
 * always wins; an absent one means the embedded stand-in in the local stack, and a start-up error
 * in AWS (where a stand-in would silently lose leads and bookings).
 */

import { GoogleCalendar } from '../../adapters/google-calendar/calendar.js';
import { MemoryCalendar } from '../../adapters/memory/calendar.js';
import { TwilioCallControl } from '../../adapters/twilio/call-control.js';
import { dialTwiml } from '../../adapters/twilio/dial-twiml.js';
import { TwilioTexts } from '../../adapters/twilio/sms.js';
import type { CallerVerification } from '../../core/call/call-session.js';
import type { OutboundSettings, PlaceCallDeps } from '../../core/outbound/place-call.js';
import type { Calendar } from '../../core/ports/calendar.js';
import type {
  CallSessionStore,
  OutboundRequestStore,
  TextLog,
  UsageCounter,
} from '../../core/ports/call-store.js';
import type { Crm, TextReplies } from '../../core/ports/crm.js';
import type { BusinessProfileSource, ProviderFlag } from '../../core/ports/flags.js';
import type { Mailer } from '../../core/ports/mail.js';
import type { CallbackScheduler } from '../../core/ports/scheduler.js';
import type { CallControl, CallLookup, TextSender } from '../../core/ports/telephony.js';
import type { ToolRunner } from '../../core/ports/tool-calls.js';
import type { Config } from '../../core/shared/config.js';
import type { ReminderDeps } from '../../core/texts/booking-reminder.js';
import type { TextDeps } from '../../core/texts/texts.js';
import { createToolRunner } from '../../core/tools/runner.js';
import { InProcessUsageCounter } from '../../core/tools/tool-usage.js';
import { type AdapterChoices, type AdapterMode, refuseStandInsInAws } from './adapter-choices.js';
import { mailerFor } from './after-call.js';
import { crmFor } from './crm.js';
import { type Recordings, recordingsFor } from './recordings.js';

export interface BusinessAdapters {
  crm: Crm & TextReplies;
  calendar: Calendar;
  mailer: Mailer;
  callControl: CallControl;
  /** Twilio's record of a call (the finalisation sweeper, the outbound lease). */
  callLookup: CallLookup;
  /** Where recordings go and how they are linked (absent in AWS without RECORDINGS_BUCKET). */
  recordings?: Recordings;
  /** Texts through the same Twilio account (its REST stand-in locally, `TWILIO_API_URL`). */
  texts: TextSender;
  /** Which systems are embedded stand-ins (for the start-up log). */
  embedded: string[];
}

export type { AdapterMode };

export function businessAdapters(config: Config, mode: AdapterMode): BusinessAdapters {
  const choices: AdapterChoices = { embedded: [], missing: [] };
  const crm = crmFor(config, choices);
  let calendar: Calendar;
  if (config.google) calendar = new GoogleCalendar(config.google);
  else {
    choices.missing.push('GOOGLE_SERVICE_ACCOUNT_JSON and GOOGLE_CALENDAR_ID');
    choices.embedded.push('calendar');
    calendar = new MemoryCalendar();
  }
  const mailer = mailerFor(config, choices);
  refuseStandInsInAws(mode, choices);
  const callControl = new TwilioCallControl({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    apiUrl: config.twilio.apiUrl,
  });
  const texts = new TwilioTexts({
    accountSid: config.twilio.accountSid,
    authToken: config.twilio.authToken,
    apiUrl: config.twilio.apiUrl,
    from: config.sms.from,
    messagingServiceSid: config.sms.messagingServiceSid,
  });
  return {
    crm,
    calendar,
    mailer,
    callControl,
    callLookup: callControl,
    recordings: recordingsFor(config, mode),
    texts,
    embedded: choices.embedded,
  };
}

/** What placing a call needs besides the business adapters: call-table stores, a scheduler, the flag. */
export interface OutboundWiring {
  sessions: Pick<CallSessionStore, 'open' | 'get'>;
  requests: OutboundRequestStore;
  scheduler: CallbackScheduler;
  providerFlag: ProviderFlag;
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
  adapters: Pick<BusinessAdapters, 'crm' | 'callControl' | 'callLookup'>,
  outbound: OutboundWiring,
  now: () => number = Date.now,
): PlaceCallDeps {
  return {
    settings: outboundSettingsFor(config),
    sessions: outbound.sessions,
    requests: outbound.requests,
    callControl: adapters.callControl,
    callLookup: adapters.callLookup,
    scheduler: outbound.scheduler,
    providerFlag: outbound.providerFlag,
    crm: adapters.crm,
    now,
  };
}

export interface ToolRunnerOptions {
  now?: () => number;
  /** Lets `schedule_callback` place calls; without it the tool declines politely. */
  outbound?: OutboundWiring;
  /** The tool-usage counters (the call table's); without it they are per process. */
  usage?: UsageCounter;
  /** The call table's sessions: whose number is vouched for, so their customer row may change. */
  callers: CallerVerification;
  /** The owner's profile (its `transfer` settings); the bridge reads the same source per call. */
  businessProfile?: BusinessProfileSource;
  /** Where sent texts are kept with their call (the call table's sessions). */
  textLog?: TextLog;
}

/** The texts use case over the account's sender; undefined when `SMS_ENABLED=false`. */
export function textDepsFor(
  config: Config,
  adapters: Pick<BusinessAdapters, 'texts'>,
  options: { usage: UsageCounter; textLog?: TextLog; now?: () => number },
): TextDeps | undefined {
  if (!config.sms.enabled) return undefined;
  return {
    sender: adapters.texts,
    enabled: true,
    allowedCountries: config.outboundAllowedCountries,
    usage: options.usage,
    timezone: config.business.timezone,
    now: options.now ?? Date.now,
    log: options.textLog,
  };
}

/** What a due booking reminder needs (the place-call function and the local timer); undefined with texts off. */
export function reminderDepsFor(
  config: Config,
  adapters: Pick<BusinessAdapters, 'texts' | 'calendar'>,
  options: {
    usage: UsageCounter;
    textLog?: TextLog;
    businessProfile?: BusinessProfileSource;
    now?: () => number;
  },
): ReminderDeps | undefined {
  const texts = textDepsFor(config, adapters, options);
  if (!texts) return undefined;
  return {
    texts,
    calendar: adapters.calendar,
    businessName: config.business.name,
    businessNumber: config.twilio.phoneNumber,
    businessProfile: options.businessProfile,
  };
}

/** The agent's tools over these adapters, with the business settings of the configuration. */
export function toolRunnerFor(
  config: Config,
  adapters: BusinessAdapters,
  options: ToolRunnerOptions,
): ToolRunner {
  const now = options.now ?? Date.now;
  // One counter for the tools and the texts they send, so both count against the same store.
  const usage = options.usage ?? new InProcessUsageCounter(now);
  const texts = textDepsFor(config, adapters, { usage, textLog: options.textLog, now });
  return createToolRunner({
    crm: adapters.crm,
    calendar: adapters.calendar,
    mailer: adapters.mailer,
    callControl: adapters.callControl,
    business: config.business,
    ownerPhone: config.ownerPhone,
    businessProfile: options.businessProfile,
    allowedCountries: config.outboundAllowedCountries,
    ownerEmail: config.ownerEmail,
    transferTwiml: dialTwiml,
    publicUrl: config.publicUrl,
    callbacks: options.outbound ? placeCallDepsFor(config, adapters, options.outbound, now) : undefined,
    usage,
    texts,
    businessNumber: config.twilio.phoneNumber,
    callers: options.callers,
    bookingHorizonDays: config.bookingHorizonDays,
    now,
  });
}
