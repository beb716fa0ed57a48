import * as z from 'zod';
import type { CallerVerification } from '../call/call-session.js';
import type { PlaceCallDeps } from '../outbound/place-call.js';
import type { Calendar } from '../ports/calendar.js';
import type { UsageCounter } from '../ports/call-store.js';
import type { Crm } from '../ports/crm.js';
import type { BusinessProfileSource } from '../ports/flags.js';
import type { Mailer } from '../ports/mail.js';
import type { CallControl } from '../ports/telephony.js';
import type { ToolDefinition, ToolResult } from '../ports/tool-calls.js';
import type { Log } from '../shared/logging.js';
import type { TextDeps } from '../texts/texts.js';
import type { BusinessSettings } from './availability.js';
import type { ToolLimits } from './tool-usage.js';

/** What `transfer_to_human` asks the Twilio adapter for: TwiML that says `say` and dials `to`. */
export interface TransferTwimlRequest {
  to: string;
  say: string;
  /** Said when nobody answers, before the call ends. */
  noAnswerSay: string;
  /** The `<Dial action>` URL (`PUBLIC_URL/twilio/dial-result`): Twilio reports how the dial ended. */
  action?: string;
  /**
   * The `<Number url>` (`PUBLIC_URL/twilio/whisper?call=…`): Twilio runs what it answers on the
   * owner's leg once they pick up, before the caller is put through (who is calling, press 1).
   */
  whisperUrl?: string;
}

/** Everything the tools use; all outside systems come in as ports, so the core stays SDK-free. */
export interface ToolDeps {
  crm: Crm;
  calendar: Calendar;
  mailer: Mailer;
  callControl: CallControl;
  business: BusinessSettings;
  /**
   * Where `transfer_to_human` dials (`OWNER_PHONE`) unless the profile's `transfer.phone` says
   * otherwise; with neither, the tool says it cannot transfer.
   */
  ownerPhone?: string;
  /** The owner's profile: its `transfer` settings say whether, when and where to transfer. */
  businessProfile?: BusinessProfileSource;
  /** Texts (SMS): a booking's confirmation; absent, nothing is texted. */
  texts?: TextDeps;
  /** `TWILIO_PHONE_NUMBER`: the number a text tells the caller to call back. */
  businessNumber?: string;
  /** `OUTBOUND_ALLOWED_COUNTRIES`: the profile's transfer number must be in one (and not premium-rate). */
  allowedCountries?: readonly string[];
  /** Told about promised follow-ups (`OWNER_EMAIL`). */
  ownerEmail?: string;
  now: () => number;
  /** Length of a bookable slot (default 30). */
  slotMinutes: number;
  /** Builds the transfer TwiML (the Twilio adapter's `dialTwiml`). */
  transferTwiml: (request: TransferTwimlRequest) => string;
  /** `PUBLIC_URL`: the transfer's `<Dial action>` goes to its `/twilio/dial-result`. */
  publicUrl?: string;
  /** What `schedule_callback` places calls with (the `POST /calls` path); without it the tool declines. */
  callbacks?: PlaceCallDeps;
  /** Counts emails, bookings and callbacks against `TOOL_LIMITS` (the call table in production). */
  usage: UsageCounter;
  /** `TOOL_LIMITS` unless a test sets smaller ones. */
  limits: ToolLimits;
  /** `BOOKING_HORIZON_DAYS`: no booking further ahead than this. */
  bookingHorizonDays: number;
  /**
   * Whether a call's caller is vouched for (the call table's sessions); absent: nobody is, and the
   * tools never write name, email or business to a customer row.
   */
  callers?: CallerVerification;
}

/** One tool call in flight: the call it belongs to, the deps, and a logger that carries `callSid`. */
export interface ToolContext {
  callSid: string;
  /** The other party's number (E.164 when known): the default phone of bookings and leads. */
  remoteNumber: string;
  deps: ToolDeps;
  log: Log;
  /**
   * Aborted when the runner has given up on the tool (its timeout: the caller already heard the
   * failure text). A tool passes it to its slow calls and undoes what they made meanwhile, so what
   * the caller heard stays true.
   */
  signal: AbortSignal;
}

/** A tool as written: its arguments' zod schema and a handler that gets them parsed. */
export interface ToolSpec<Schema extends z.ZodType> {
  name: string;
  /** What the model reads to decide when to call it. */
  description: string;
  schema: Schema;
  /** Spoken when the handler fails unexpectedly (an adapter threw or timed out). */
  failureText: string;
  handler(args: z.output<Schema>, context: ToolContext): Promise<ToolResult>;
}

/** A tool with its schema erased, so tools of different argument types sit in one registry. */
export interface Tool {
  name: string;
  failureText: string;
  definition(): ToolDefinition;
  /** Validates `args` (an invalid one is a speakable error result) and runs the handler. May throw. */
  invoke(args: unknown, context: ToolContext): Promise<ToolResult>;
}

export function defineTool<Schema extends z.ZodType>(spec: ToolSpec<Schema>): Tool {
  // Built once, on first use: converting the schema takes about a millisecond, and every call's
  // engine asks for the definitions at its start. Frozen, since every call shares it.
  let definition: ToolDefinition | undefined;
  return {
    name: spec.name,
    failureText: spec.failureText,
    definition: () =>
      (definition ??= Object.freeze({
        name: spec.name,
        description: spec.description,
        parameters: jsonSchemaOf(spec.schema),
      })),
    invoke: async (args, context) => {
      const parsed = spec.schema.safeParse(normaliseArgs(args));
      if (!parsed.success) return { ok: false, text: speakableIssues(parsed.error) };
      return spec.handler(parsed.data, context);
    },
  };
}

/** JSON schema of the tool's input, without the `$schema` marker (OpenAI and ElevenLabs take a bare object). */
function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _marker, ...rest } = z.toJSONSchema(schema, { io: 'input' }) as Record<string, unknown>;
  return rest;
}

/** Engines send an object; OpenAI's arguments can arrive as a JSON string, and no arguments as nothing. */
function normaliseArgs(args: unknown): unknown {
  if (args === undefined || args === null || args === '') return {};
  if (typeof args === 'string') {
    try {
      return JSON.parse(args);
    } catch {
      return args;
    }
  }
  return args;
}

/** Every schema field carries a message written to be spoken; repeated ones are said once. */
function speakableIssues(error: z.ZodError): string {
  const messages = [...new Set(error.issues.map((issue) => issue.message))];
  return messages.join(' ');
}
