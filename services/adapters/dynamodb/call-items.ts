/**
 * The one place that knows how a call is laid out in the single DynamoDB table (DESIGN §3):
 *   pk=CALL#<callSid>  sk=SESSION              the session
 *                      sk=TURN#<seq, padded>   one transcript turn
 *                      sk=TOOL#<seq, padded>   one tool call
 *                      sk=TEXT#<message SID>   one text (SMS) sent about the call
 * Every item carries `expiresAt` for the table's TTL.
 *
 * The sparse index `unfinalised` (partition `sweepPk`, sort `sweepSince`) holds only sessions not
 * finalised yet: the session item carries the two attributes from creation until `markFinalised`
 * removes them, so the finalisation sweeper queries it and never scans the table.
 */
import * as z from 'zod';
import { engineUsageSchema } from '../../core/after-call/cost-record.js';
import type {
  CallSession,
  NewCallSession,
  SentText,
  ToolCallRecord,
  Turn,
} from '../../core/call/call-session.js';
import type { UnfinalisedCall } from '../../core/ports/call-store.js';
import { UNFINALISED_PK } from '../../core/ports/call-table-schema.js';
import type { KnownCustomer } from '../../core/ports/crm.js';
import type { CrmRepair } from '../../core/ports/tool-calls.js';
import { ENGINE_NAMES } from '../../core/shared/engines.js';

export const SESSION_SK = 'SESSION';
const TURN_PREFIX = 'TURN#';
const TOOL_PREFIX = 'TOOL#';
const TEXT_PREFIX = 'TEXT#';
/** Zero-padded so the sort key orders numerically; 8 digits is far more turns than any call has. */
const SEQ_DIGITS = 8;

/** How long a call's items live: long enough for finalisation, retries and a look after the fact. */
export const CALL_TTL_DAYS = 30;

export type Item = Record<string, unknown>;

export interface ItemKey {
  pk: string;
  sk: string;
}

export function callPk(callSid: string): string {
  return `CALL#${callSid}`;
}

export function sessionKey(callSid: string): ItemKey {
  return { pk: callPk(callSid), sk: SESSION_SK };
}

export function turnKey(callSid: string, seq: number): ItemKey {
  return { pk: callPk(callSid), sk: `${TURN_PREFIX}${padSeq(seq)}` };
}

export function toolKey(callSid: string, seq: number): ItemKey {
  return { pk: callPk(callSid), sk: `${TOOL_PREFIX}${padSeq(seq)}` };
}

function padSeq(seq: number): string {
  if (!Number.isSafeInteger(seq) || seq < 0)
    throw new RangeError(`seq must be a non-negative integer: ${seq}`);
  return String(seq).padStart(SEQ_DIGITS, '0');
}

/**
 * DynamoDB's TTL attribute must hold epoch SECONDS (a number); a value in milliseconds would read
 * as a date tens of thousands of years away and the item would never expire.
 */
export function expiresAtSeconds(nowMs: number): number {
  return Math.floor(nowMs / 1000) + CALL_TTL_DAYS * 24 * 60 * 60;
}

/** Drops undefined fields: DynamoDB rejects them and an absent attribute says the same thing. */
function compact<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

export function newSessionItem(session: NewCallSession, nowMs: number): Item {
  return {
    ...sessionKey(session.callSid),
    ...compact({
      callSid: session.callSid,
      direction: session.direction,
      from: session.from,
      to: session.to,
      provider: session.provider,
      customer: session.customer ? customerAttribute(session.customer) : undefined,
      callerVerified: session.callerVerified,
      streamTokenHash: session.streamTokenHash,
      outboundReason: session.outboundReason,
      outboundRequestId: session.outboundRequestId,
      createdAt: session.createdAt,
      tokenIssuedAt: session.streamTokenIssuedAt ?? session.createdAt,
    }),
    status: 'created',
    // Until a stream ends, the grace period counts from the webhook (a call that never streamed).
    sweepPk: UNFINALISED_PK,
    sweepSince: session.createdAt,
    expiresAt: expiresAtSeconds(nowMs),
  };
}

/** The `customer` map of a session item. */
export function customerAttribute(customer: KnownCustomer): Item {
  return compact(customer);
}

export function turnItem(callSid: string, turn: Turn, nowMs: number): Item {
  return {
    ...turnKey(callSid, turn.seq),
    seq: turn.seq,
    role: turn.role,
    text: turn.text,
    at: turn.at,
    ...(turn.interrupted ? { interrupted: true } : {}),
    expiresAt: expiresAtSeconds(nowMs),
  };
}

/**
 * Tool arguments come from a model and may be any JSON: they are stored as a JSON string, because a
 * DynamoDB map refuses some of what JSON allows (nesting beyond 32 levels, numbers past 38 digits).
 */
export function toolItem(callSid: string, record: ToolCallRecord, nowMs: number): Item {
  return {
    ...toolKey(callSid, record.seq),
    seq: record.seq,
    name: record.name,
    argsJson: JSON.stringify(record.args ?? null),
    result: { ok: record.result.ok, text: record.result.text },
    // A CRM write the tool could not make: finalisation makes it from here.
    ...(record.result.crmRepair ? { crmRepairJson: JSON.stringify(record.result.crmRepair) } : {}),
    at: record.at,
    durationMs: record.durationMs,
    expiresAt: expiresAtSeconds(nowMs),
  };
}

/** A text sent about the call; keyed by its message SID, so writing it twice keeps one. */
export function textItem(callSid: string, text: SentText, nowMs: number): Item {
  return {
    pk: callPk(callSid),
    sk: `${TEXT_PREFIX}${text.sid}`,
    kind: text.kind,
    to: text.to,
    body: text.body,
    sid: text.sid,
    at: text.at,
    expiresAt: expiresAtSeconds(nowMs),
  };
}

// Items are read back through schemas: a malformed item (a hand edit, an old layout) fails loudly
// with the field named, instead of travelling on as a wrongly typed session.
export const engineSchema = z.enum(ENGINE_NAMES);
const engine = engineSchema;

/** What the CRM knew about the caller, as stored on a session or an outbound request. */
export const knownCustomerSchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  openAppointment: z.string().optional(),
  lastCallSummary: z.string().optional(),
});

const engineSegmentSchema = z.object({
  engine,
  startedAt: z.number(),
  endedAt: z.number(),
  usage: engineUsageSchema.optional(),
});

const callStatusSchema = z.enum(['created', 'streaming', 'ended', 'finalising', 'finalised']);

const sessionSchema = z.object({
  callSid: z.string(),
  direction: z.enum(['inbound', 'outbound']),
  from: z.string(),
  to: z.string(),
  provider: engine,
  servedBy: engine.optional(),
  failoverReason: z.string().optional(),
  failoverMs: z.number().optional(),
  engineSegments: z.array(engineSegmentSchema).optional(),
  turnLatency: z.object({ turns: z.number(), p50Ms: z.number(), p90Ms: z.number() }).optional(),
  conversationId: z.string().optional(),
  customer: knownCustomerSchema.optional(),
  callerVerified: z.boolean().optional(),
  streamTokenHash: z.string(),
  status: callStatusSchema,
  streamSid: z.string().optional(),
  outboundReason: z.string().optional(),
  outboundRequestId: z.string().optional(),
  createdAt: z.number(),
  streamingAt: z.number().optional(),
  endedAt: z.number().optional(),
  endReason: z.string().optional(),
  finalisedAt: z.number().optional(),
  lateTurnMarks: z.number().optional(),
  transferStatus: z.string().optional(),
  recording: z
    .discriminatedUnion('status', [
      z.object({ status: z.literal('writing'), key: z.string() }),
      z.object({ status: z.literal('saved'), key: z.string(), durationMs: z.number(), bytes: z.number() }),
      z.object({ status: z.literal('failed') }),
    ])
    .optional(),
  transferReturnedAt: z.number().optional(),
});

const turnSchema = z.object({
  seq: z.number().int(),
  role: z.enum(['caller', 'agent']),
  text: z.string(),
  at: z.number(),
  interrupted: z.boolean().optional(),
});

const toolSchema = z.object({
  seq: z.number().int(),
  name: z.string(),
  argsJson: z.string(),
  result: z.object({ ok: z.boolean(), text: z.string() }),
  crmRepairJson: z.string().optional(),
  at: z.number(),
  durationMs: z.number(),
});

const repairCustomerSchema = z.object({
  phone: z.string(),
  name: z.string().optional(),
  email: z.string().optional(),
  business: z.string().optional(),
});

const crmRepairSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('appointment'),
    customer: repairCustomerSchema,
    appointment: z.object({
      callSid: z.string().optional(),
      start: z.number(),
      end: z.number(),
      calendarEventId: z.string(),
      name: z.string(),
      phone: z.string(),
      email: z.string().optional(),
      purpose: z.string().optional(),
    }),
  }),
  z.object({
    kind: z.literal('lead'),
    customer: repairCustomerSchema,
    lead: z.object({
      callSid: z.string().optional(),
      name: z.string(),
      business: z.string().optional(),
      email: z.string().optional(),
      phone: z.string(),
      interest: z.string().optional(),
      notes: z.string().optional(),
    }),
  }),
]);

export function sessionFromItem(item: Item): CallSession {
  return compact(sessionSchema.parse(item)) as CallSession;
}

export function turnFromItem(item: Item): Turn {
  return compact(turnSchema.parse(item)) as Turn;
}

export function toolCallFromItem(item: Item): ToolCallRecord {
  const { argsJson, crmRepairJson, ...rest } = toolSchema.parse(item);
  const crmRepair = crmRepairJson
    ? (compact(crmRepairSchema.parse(JSON.parse(crmRepairJson))) as CrmRepair)
    : undefined;
  return {
    ...rest,
    result: crmRepair ? { ...rest.result, crmRepair } : rest.result,
    args: JSON.parse(argsJson) as unknown,
  };
}

const unfinalisedSchema = z.object({
  callSid: z.string(),
  sweepSince: z.number(),
  status: callStatusSchema,
});

/** An entry of the `unfinalised` index (the index projects `callSid` and `status`). */
export function unfinalisedFromItem(item: Item): UnfinalisedCall {
  const { callSid, sweepSince, status } = unfinalisedSchema.parse(item);
  return { callSid, since: sweepSince, status };
}

const textSchema = z.object({
  kind: z.enum(['booking-confirmation', 'booking-reminder', 'missed-call']),
  to: z.string(),
  body: z.string(),
  sid: z.string(),
  at: z.number(),
});

export function textFromItem(item: Item): SentText {
  return textSchema.parse(item);
}

export type ItemKind = 'session' | 'turn' | 'tool' | 'text' | 'other';

export function itemKind(sk: unknown): ItemKind {
  if (sk === SESSION_SK) return 'session';
  if (typeof sk !== 'string') return 'other';
  if (sk.startsWith(TURN_PREFIX)) return 'turn';
  if (sk.startsWith(TOOL_PREFIX)) return 'tool';
  if (sk.startsWith(TEXT_PREFIX)) return 'text';
  return 'other';
}
