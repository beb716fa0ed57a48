import * as z from 'zod';
import { isBase64 } from '../core/shared/audio.js';
import { type Decoded, decoded, jsonObject, undecodable } from '../core/shared/decoded.js';
import { plainStringEnd } from '../core/shared/json-scan.js';

/**
 * Pure codec for Twilio Media Streams (bidirectional `<Connect><Stream>`), per
 * docs/protocols.md §3. Parsing validates every message: `media`, 50 a second per call, by plain field
 * tests (its payload checked to be base64 and then passed on as the very same string), the others by
 * their schemas. Building never re-encodes a payload: it is spliced in.
 */

const counter = z.string().regex(/^\d+$/);
/** Twilio sids are letters and digits: a sid from a parsed `start` is spliced into JSON as is. */
const sid = z.string().regex(/^[A-Za-z0-9]+$/, 'must be letters and digits');

const connectedSchema = z.object({
  event: z.literal('connected'),
  protocol: z.string(),
  version: z.string(),
});

const startSchema = z.object({
  event: z.literal('start'),
  sequenceNumber: counter,
  streamSid: z.string().min(1),
  start: z.object({
    accountSid: z.string().min(1),
    streamSid: sid,
    callSid: z.string().min(1),
    tracks: z.array(z.string()),
    customParameters: z.record(z.string(), z.string()).default({}),
    mediaFormat: z.object({
      encoding: z.literal('audio/x-mulaw'),
      sampleRate: z.literal(8000),
      channels: z.literal(1),
    }),
  }),
});

const markSchema = z.object({
  event: z.literal('mark'),
  sequenceNumber: counter,
  streamSid: z.string().min(1),
  mark: z.object({ name: z.string() }),
});

const dtmfSchema = z.object({
  event: z.literal('dtmf'),
  sequenceNumber: counter,
  streamSid: z.string().min(1),
  dtmf: z.object({ track: z.string(), digit: z.string().min(1).max(1) }),
});

const stopSchema = z.object({
  event: z.literal('stop'),
  sequenceNumber: counter,
  streamSid: z.string().min(1),
  stop: z.object({ accountSid: z.string(), callSid: z.string() }),
});

export type TwilioInbound =
  | { event: 'connected' }
  | {
      event: 'start';
      streamSid: string;
      callSid: string;
      accountSid: string;
      customParameters: Record<string, string>;
    }
  | { event: 'media'; payload: string; timestampMs: number }
  | { event: 'mark'; name: string }
  | { event: 'dtmf'; digit: string }
  | { event: 'stop' };

/**
 * Parses one text frame from Twilio. Never throws. A caller frame or a mark echo as Twilio writes it
 * costs one scan and two small objects; any other frame goes through the full parser.
 */
export function parseTwilioMessage(text: string): Decoded<TwilioInbound> {
  const scanned = scanMedia(text) ?? scanMark(text);
  return scanned ? decoded(scanned) : parseAny(text);
}

const MEDIA_HEAD = '{"event":"media","sequenceNumber":"';
const MEDIA_TRACK = '","media":{"track":"inbound","chunk":"';
const MEDIA_TIMESTAMP = '","timestamp":"';
const MEDIA_PAYLOAD = '","payload":"';
const MEDIA_SID = '"},"streamSid":"';

/**
 * The media fast path: a caller frame exactly as Twilio writes it (docs/protocols.md §3, field
 * order and all) is read by position, with no `JSON.parse` and no intermediate objects. Anything
 * else, including the same message with its fields reordered, spaced or escaped, returns undefined
 * and goes through the full parser, which applies the same rules.
 */
export function scanMedia(text: string): TwilioInbound | undefined {
  if (!text.startsWith(MEDIA_HEAD)) return undefined;
  let at = digitsEnd(text, MEDIA_HEAD.length);
  if (at < 0 || !text.startsWith(MEDIA_TRACK, at)) return undefined;
  at = digitsEnd(text, at + MEDIA_TRACK.length);
  if (at < 0 || !text.startsWith(MEDIA_TIMESTAMP, at)) return undefined;
  const timestampStart = at + MEDIA_TIMESTAMP.length;
  at = digitsEnd(text, timestampStart);
  if (at < 0 || !text.startsWith(MEDIA_PAYLOAD, at)) return undefined;
  const timestampMs = Number(text.slice(timestampStart, at));
  const payloadStart = at + MEDIA_PAYLOAD.length;
  const payloadEnd = text.indexOf('"', payloadStart);
  if (payloadEnd < 0 || !text.startsWith(MEDIA_SID, payloadEnd)) return undefined;
  const sidStart = payloadEnd + MEDIA_SID.length;
  const sidEnd = text.length - 2;
  if (sidEnd <= sidStart || !text.endsWith('"}') || !isSid(text, sidStart, sidEnd)) return undefined;
  const payload = text.slice(payloadStart, payloadEnd);
  return isBase64(payload) ? { event: 'media', payload, timestampMs } : undefined;
}

const MARK_HEAD = '{"event":"mark","sequenceNumber":"';
const MARK_SID = '","streamSid":"';
const MARK_NAME = '","mark":{"name":"';
const MARK_TAIL = '"}}';

/**
 * The mark fast path, like the media one: a mark echo exactly as Twilio writes it (docs/protocols.md
 * §3) is read by position. A name that JSON would escape (quotes, backslashes, control characters)
 * or any other shape returns undefined and goes through the full parser.
 */
export function scanMark(text: string): TwilioInbound | undefined {
  if (!text.startsWith(MARK_HEAD)) return undefined;
  const at = digitsEnd(text, MARK_HEAD.length);
  if (at < 0 || !text.startsWith(MARK_SID, at)) return undefined;
  const sidStart = at + MARK_SID.length;
  const sidEnd = text.indexOf('"', sidStart);
  if (sidEnd <= sidStart || !isSid(text, sidStart, sidEnd) || !text.startsWith(MARK_NAME, sidEnd))
    return undefined;
  const nameStart = sidEnd + MARK_NAME.length;
  const nameEnd = text.length - MARK_TAIL.length;
  // The name's closing quote is the tail's: a name with a quote or an escape is left to the full parser.
  if (plainStringEnd(text, nameStart) !== nameEnd || !text.endsWith(MARK_TAIL)) return undefined;
  return { event: 'mark', name: text.slice(nameStart, nameEnd) };
}

/** The end of a run of 1–15 decimal digits followed by `"` at `start`, or -1. */
function digitsEnd(text: string, start: number): number {
  let at = start;
  while (at < text.length && at - start <= 15) {
    const code = text.charCodeAt(at);
    if (code === 34) return at > start ? at : -1;
    if (code < 48 || code > 57) return -1;
    at++;
  }
  return -1;
}

function isSid(text: string, start: number, end: number): boolean {
  for (let at = start; at < end; at++) {
    const code = text.charCodeAt(at);
    const alnum = (code >= 48 && code <= 57) || (code >= 65 && code <= 90) || (code >= 97 && code <= 122);
    if (!alnum) return false;
  }
  return true;
}

/** The full parser: every message, any field order; the reference the fast path must agree with. */
export function parseAny(text: string): Decoded<TwilioInbound> {
  const json = jsonObject(text);
  if (!json.ok) return json;
  const raw = json.message;
  const event = (raw as { event?: unknown }).event;
  // The bulk of the traffic (50 frames a second per call) is checked field by field, not by zod.
  if (event === 'media') return parseMedia(raw as RawMedia);
  switch (event) {
    case 'start': {
      const m = startSchema.safeParse(raw);
      if (!m.success) return invalid('start', m.error);
      const { streamSid, callSid, accountSid, customParameters } = m.data.start;
      return decoded({ event: 'start', streamSid, callSid, accountSid, customParameters });
    }
    case 'connected': {
      const m = connectedSchema.safeParse(raw);
      return m.success ? decoded({ event: 'connected' }) : invalid('connected', m.error);
    }
    case 'mark': {
      const m = markSchema.safeParse(raw);
      return m.success ? decoded({ event: 'mark', name: m.data.mark.name }) : invalid('mark', m.error);
    }
    case 'dtmf': {
      const m = dtmfSchema.safeParse(raw);
      return m.success ? decoded({ event: 'dtmf', digit: m.data.dtmf.digit }) : invalid('dtmf', m.error);
    }
    case 'stop': {
      const m = stopSchema.safeParse(raw);
      return m.success ? decoded({ event: 'stop' }) : invalid('stop', m.error);
    }
    default:
      return malformed(`unknown event ${JSON.stringify(event)?.slice(0, 40)}`);
  }
}

interface RawMedia {
  sequenceNumber?: unknown;
  streamSid?: unknown;
  media?: { track?: unknown; chunk?: unknown; timestamp?: unknown; payload?: unknown } | null;
}

/**
 * The media fast path: the same rules as the other messages' schemas (string counters, a stream
 * sid, the inbound track, a base64 payload), as plain field tests. The payload is checked to be
 * base64 here, once: it is spliced unescaped into the engine's JSON.
 */
function parseMedia(raw: RawMedia): Decoded<TwilioInbound> {
  const media = raw.media;
  if (typeof media !== 'object' || media === null) return malformed('invalid media: media missing');
  if (!isCounter(raw.sequenceNumber)) return malformed('invalid media: sequenceNumber not a counter');
  if (typeof raw.streamSid !== 'string' || raw.streamSid.length === 0)
    return malformed('invalid media: streamSid missing');
  if (!isCounter(media.chunk)) return malformed('invalid media: media.chunk not a counter');
  const timestamp = media.timestamp;
  if (!isCounter(timestamp)) return malformed('invalid media: media.timestamp not a counter');
  const payload = media.payload;
  // Base64 only: anything else would reach an engine as garbage audio, or break its JSON.
  if (typeof payload !== 'string' || !isBase64(payload))
    return malformed('invalid media: payload must be base64');
  // The bidirectional stream carries only the caller's track; never echo our own audio back.
  if (media.track !== 'inbound') {
    return malformed(
      media.track === 'outbound' ? 'media on a track other than inbound' : 'invalid media: media.track',
    );
  }
  return decoded({ event: 'media', payload, timestampMs: Number(timestamp) });
}

/** Twilio's counters are strings of decimal digits (docs/protocols.md §3). */
function isCounter(value: unknown): value is string {
  if (typeof value !== 'string' || value.length === 0 || value.length > 15) return false;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code < 48 || code > 57) return false;
  }
  return true;
}

const malformed = undecodable;

function invalid(event: string, error: z.ZodError): Decoded<never> {
  const first = error.issues[0];
  return malformed(`invalid ${event}: ${first ? `${first.path.join('.')} ${first.message}` : 'schema'}`);
}

/**
 * `{"event":"media",…}` by concatenation, once per agent frame: the payload is base64 (checked by the
 * engine's codec) and the stream sid letters and digits (checked on `start`), so nothing needs escaping.
 */
export function mediaMessage(streamSid: string, payload: string): string {
  return `{"event":"media","streamSid":"${streamSid}","media":{"payload":"${payload}"}}`;
}

export function markMessage(streamSid: string, name: string): string {
  return `{"event":"mark","streamSid":"${streamSid}","mark":{"name":${JSON.stringify(name)}}}`;
}

export function clearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
