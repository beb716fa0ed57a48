import fc from 'fast-check';
import {
  clearMessage,
  markMessage,
  mediaMessage,
  parseAny,
  parseTwilioMessage,
  scanMark,
  scanMedia,
} from '../../services/bridge/twilio-media-codec';
import { expectFastPathAgrees } from '../support/fast-path';

/** A caller frame exactly as Twilio writes it (docs/protocols.md §3: its field order). */
const twilioMedia = (sequence: string, chunk: string, timestamp: string, payload: string, sid = 'MZ1') =>
  `{"event":"media","sequenceNumber":"${sequence}","media":{"track":"inbound","chunk":"${chunk}","timestamp":"${timestamp}","payload":"${payload}"},"streamSid":"${sid}"}`;

const start = {
  event: 'start',
  sequenceNumber: '1',
  streamSid: 'MZ1',
  start: {
    accountSid: 'AC1',
    streamSid: 'MZ1',
    callSid: 'CA1',
    tracks: ['inbound'],
    customParameters: { token: 't', callSid: 'CA1' },
    mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
  },
};
const media = (payload: string, track = 'inbound') =>
  JSON.stringify({
    event: 'media',
    sequenceNumber: '3',
    streamSid: 'MZ1',
    media: { track, chunk: '1', timestamp: '40', payload },
  });

/** Twilio's counters: strings of decimal digits. */
const digits = fc.stringMatching(/^[0-9]{1,15}$/);

describe('Twilio media fast path', () => {
  const payload = fc
    .uint8Array({ minLength: 1, maxLength: 400 })
    .map((b) => Buffer.from(b).toString('base64'));

  it('reads Twilio-ordered caller frames exactly as the full parser does', () => {
    fc.assert(
      fc.property(digits, digits, digits, payload, (sequence, chunk, timestamp, audio) => {
        const text = twilioMedia(sequence, chunk, timestamp, audio);
        const fast = scanMedia(text);
        expect(fast).toEqual({ event: 'media', payload: audio, timestampMs: Number(timestamp) });
        expect(parseAny(text)).toEqual({ ok: true, message: fast });
      }),
    );
  });

  it('never disagrees with the full parser on a damaged frame: it answers the same or steps aside', () => {
    expectFastPathAgrees(
      twilioMedia('3', '1', '40', Buffer.alloc(160, 7).toString('base64')),
      { scan: scanMedia, parseAny },
      ['"', '\\', 'x', '1', ' ', '}', ',', '=', '+', 'A'],
      2000,
    );
  });

  it('steps aside for a reordered, spaced or outbound frame (the full parser decides)', () => {
    expect(scanMedia(media('AAAA'))).toBeUndefined();
    expect(scanMedia(twilioMedia('3', '1', '40', 'AAAA').replace('"inbound"', '"outbound"'))).toBeUndefined();
    expect(scanMedia(twilioMedia('3', '1', '40', 'AAAA').replace(',"media"', ', "media"'))).toBeUndefined();
    expect(parseTwilioMessage(media('AAAA'))).toEqual({
      ok: true,
      message: { event: 'media', payload: 'AAAA', timestampMs: 40 },
    });
  });
});

/** A mark echo exactly as Twilio writes it (docs/protocols.md §3: its field order). */
const twilioMark = (sequence: string, name: string, sid = 'MZ1') =>
  `{"event":"mark","sequenceNumber":"${sequence}","streamSid":"${sid}","mark":{"name":${JSON.stringify(name)}}}`;

describe('Twilio mark fast path', () => {
  it('reads Twilio-ordered mark echoes exactly as the full parser does', () => {
    fc.assert(
      fc.property(digits, fc.string({ maxLength: 40 }), (sequence, name) => {
        const text = twilioMark(sequence, name);
        const fast = scanMark(text);
        // A name JSON escapes is left to the full parser; any other is read by the scan.
        if (JSON.stringify(name) === `"${name}"`) expect(fast).toEqual({ event: 'mark', name });
        if (fast !== undefined) expect(parseAny(text)).toEqual({ ok: true, message: fast });
        expect(parseTwilioMessage(text)).toEqual({ ok: true, message: { event: 'mark', name } });
      }),
    );
  });

  it('never disagrees with the full parser on a damaged echo: it answers the same or steps aside', () => {
    expectFastPathAgrees(
      twilioMark('12', 'a42', 'MZ0123456789abcdef'),
      { scan: scanMark, parseAny },
      ['"', '\\', 'x', '1', ' ', '}', '{', ',', ':', '\n'],
      2000,
    );
  });

  it('steps aside for a reordered or escaped echo (the full parser decides)', () => {
    const reordered = JSON.stringify({
      event: 'mark',
      streamSid: 'MZ1',
      sequenceNumber: '4',
      mark: { name: 'a1' },
    });
    expect(scanMark(reordered)).toBeUndefined();
    expect(scanMark(twilioMark('4', 'say "hi"'))).toBeUndefined();
    expect(parseTwilioMessage(reordered)).toEqual({ ok: true, message: { event: 'mark', name: 'a1' } });
  });
});

describe('Twilio media codec', () => {
  it('parses start with its custom parameters', () => {
    expect(parseTwilioMessage(JSON.stringify(start))).toEqual({
      ok: true,
      message: {
        event: 'start',
        streamSid: 'MZ1',
        callSid: 'CA1',
        accountSid: 'AC1',
        customParameters: { token: 't', callSid: 'CA1' },
      },
    });
  });

  it('passes a media payload through unchanged, with its timestamp', () => {
    const payload = Buffer.from('caller audio').toString('base64');
    expect(parseTwilioMessage(media(payload))).toEqual({
      ok: true,
      message: { event: 'media', payload, timestampMs: 40 },
    });
  });

  const mediaFrame = () =>
    JSON.parse(media('AAAA')) as Record<string, unknown> & { media: Record<string, unknown> };
  it.each<[string, (frame: ReturnType<typeof mediaFrame>) => void]>([
    ['no media object', (f) => delete (f as Record<string, unknown>).media],
    ['media: null', (f) => Object.assign(f, { media: null })],
    ['no sequenceNumber', (f) => delete f.sequenceNumber],
    ['a sequenceNumber with a sign', (f) => Object.assign(f, { sequenceNumber: '-3' })],
    ['an empty streamSid', (f) => Object.assign(f, { streamSid: '' })],
    ['a numeric chunk', (f) => Object.assign(f.media, { chunk: 1 })],
    ['a timestamp that is not digits', (f) => Object.assign(f.media, { timestamp: '4e1' })],
    ['an empty timestamp', (f) => Object.assign(f.media, { timestamp: '' })],
    ['no payload', (f) => delete f.media.payload],
    ['an empty payload', (f) => Object.assign(f.media, { payload: '' })],
    ['a payload with a quote', (f) => Object.assign(f.media, { payload: 'AA"A' })],
    ['a payload of the wrong length', (f) => Object.assign(f.media, { payload: 'AAA' })],
    ['a numeric payload', (f) => Object.assign(f.media, { payload: 1234 })],
    ['no track', (f) => delete f.media.track],
  ])('the media fast path rejects %s, as the schema did', (_what, mutate) => {
    const frame = mediaFrame();
    mutate(frame);
    const parsed = parseTwilioMessage(JSON.stringify(frame));
    expect(parsed.ok).toBe(false);
  });

  it('rejects a start whose stream sid could not be spliced into JSON as is', () => {
    const bad = { ...start, start: { ...start.start, streamSid: 'MZ"1' } };
    expect(parseTwilioMessage(JSON.stringify(bad)).ok).toBe(false);
  });

  it.each([
    ['not JSON', '{oops'],
    ['JSON that is not an object', '"media"'],
    ['null', 'null'],
    ['an unknown event', JSON.stringify({ event: 'bogus' })],
    ['a payload that is not base64', media('not base64!')],
    ['an outbound-track frame', media('AAAA', 'outbound')],
    ['numeric counters', JSON.stringify({ ...JSON.parse(media('AAAA')), sequenceNumber: 3 })],
    [
      'a start in another audio format',
      JSON.stringify({
        ...start,
        start: { ...start.start, mediaFormat: { encoding: 'audio/l16', sampleRate: 16000, channels: 1 } },
      }),
    ],
    [
      'a mark without a name',
      JSON.stringify({ event: 'mark', sequenceNumber: '4', streamSid: 'MZ1', mark: {} }),
    ],
  ])('rejects %s', (_what, frame) => {
    expect(parseTwilioMessage(frame).ok).toBe(false);
  });

  it('builds the three messages Twilio accepts, with no extra fields', () => {
    expect(JSON.parse(mediaMessage('MZ1', 'AAAA'))).toEqual({
      event: 'media',
      streamSid: 'MZ1',
      media: { payload: 'AAAA' },
    });
    expect(JSON.parse(markMessage('MZ1', 'a1'))).toEqual({
      event: 'mark',
      streamSid: 'MZ1',
      mark: { name: 'a1' },
    });
    expect(JSON.parse(clearMessage('MZ1'))).toEqual({ event: 'clear', streamSid: 'MZ1' });
  });

  it('splices the payload without re-encoding it', () => {
    const payload = `${'/+'.repeat(100)}AA==`;
    expect(mediaMessage('MZ1', payload)).toContain(`"payload":"${payload}"`);
    expect(JSON.parse(mediaMessage('MZ1', payload)).media.payload).toBe(payload);
  });

  it('builds marks whose name is escaped', () => {
    expect(JSON.parse(markMessage('MZ1', 'drain-"1'))).toEqual({
      event: 'mark',
      streamSid: 'MZ1',
      mark: { name: 'drain-"1' },
    });
  });
});
