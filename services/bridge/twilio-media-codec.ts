import { z } from 'zod';
import { isBase64 } from '../core/audio.js';

/**
 * Pure codec for Twilio Media Streams (bidirectional `<Connect><Stream>`), per
 * docs/protocols.md §3. Parsing validates every message; a media payload is checked to be base64 and
 * then passed on as the very same string. Building never re-encodes a payload: it is spliced in.
 */

const counter = z.string().regex(/^\d+$/);

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
    streamSid: z.string().min(1),
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

const mediaSchema = z.object({
  event: z.literal('media'),
  sequenceNumber: counter,
  streamSid: z.string().min(1),
  media: z.object({
    track: z.enum(['inbound', 'outbound']),
    chunk: counter,
    timestamp: counter,
    // Base64 only: anything else would reach an engine as garbage audio.
    payload: z.string().refine(isBase64, 'must be base64'),
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

export type ParseResult = { ok: true; message: TwilioInbound } | { ok: false; error: string };

/** Parses one text frame from Twilio. Never throws. */
export function parseTwilioMessage(text: string): ParseResult {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, error: 'not JSON' };
  }
  const event = typeof raw === 'object' && raw !== null ? (raw as { event?: unknown }).event : undefined;
  switch (event) {
    case 'media': {
      const m = mediaSchema.safeParse(raw);
      if (!m.success) return invalid('media', m.error);
      // The bidirectional stream carries only the caller's track; never echo our own audio back.
      if (m.data.media.track !== 'inbound')
        return { ok: false, error: 'media on a track other than inbound' };
      return {
        ok: true,
        message: {
          event: 'media',
          payload: m.data.media.payload,
          timestampMs: Number(m.data.media.timestamp),
        },
      };
    }
    case 'start': {
      const m = startSchema.safeParse(raw);
      if (!m.success) return invalid('start', m.error);
      const { streamSid, callSid, accountSid, customParameters } = m.data.start;
      return { ok: true, message: { event: 'start', streamSid, callSid, accountSid, customParameters } };
    }
    case 'connected': {
      const m = connectedSchema.safeParse(raw);
      return m.success ? { ok: true, message: { event: 'connected' } } : invalid('connected', m.error);
    }
    case 'mark': {
      const m = markSchema.safeParse(raw);
      return m.success
        ? { ok: true, message: { event: 'mark', name: m.data.mark.name } }
        : invalid('mark', m.error);
    }
    case 'dtmf': {
      const m = dtmfSchema.safeParse(raw);
      return m.success
        ? { ok: true, message: { event: 'dtmf', digit: m.data.dtmf.digit } }
        : invalid('dtmf', m.error);
    }
    case 'stop': {
      const m = stopSchema.safeParse(raw);
      return m.success ? { ok: true, message: { event: 'stop' } } : invalid('stop', m.error);
    }
    default:
      return { ok: false, error: `unknown event ${JSON.stringify(event)?.slice(0, 40)}` };
  }
}

function invalid(event: string, error: z.ZodError): ParseResult {
  const first = error.issues[0];
  return {
    ok: false,
    error: `invalid ${event}: ${first ? `${first.path.join('.')} ${first.message}` : 'schema'}`,
  };
}

/** `{"event":"media",…}` with the payload spliced in unchanged (it is base64: nothing to escape). */
export function mediaMessage(streamSid: string, payload: string): string {
  return `{"event":"media","streamSid":${JSON.stringify(streamSid)},"media":{"payload":"${payload}"}}`;
}

export function markMessage(streamSid: string, name: string): string {
  return JSON.stringify({ event: 'mark', streamSid, mark: { name } });
}

export function clearMessage(streamSid: string): string {
  return JSON.stringify({ event: 'clear', streamSid });
}
