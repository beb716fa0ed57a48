import { validateFromTwilio, validateToTwilio } from '../../../services/local/sim/twilio-schemas.js';
import { expectOneViolation } from '../../support/violations.js';

const STREAM = `MZ${'a'.repeat(32)}`;
const CALL = `CA${'b'.repeat(32)}`;
const ACCOUNT = `AC${'c'.repeat(32)}`;
const PAYLOAD = Buffer.alloc(160, 0xff).toString('base64');

describe('messages to Twilio (sent by the bridge)', () => {
  it.each([
    ['media', { event: 'media', streamSid: STREAM, media: { payload: PAYLOAD } }],
    ['mark', { event: 'mark', streamSid: STREAM, mark: { name: 'agent-1' } }],
    ['clear', { event: 'clear', streamSid: STREAM }],
  ])('accepts %s', (_name, message) => {
    expect(validateToTwilio(JSON.stringify(message))).toEqual([]);
  });

  it.each([
    ['a mark without mark.name', { event: 'mark', streamSid: STREAM, mark: {} }, "required property 'name'"],
    ['a mark with a flat name', { event: 'mark', streamSid: STREAM, name: 'x' }, "required property 'mark'"],
    [
      'a media message with an extra field',
      { event: 'media', streamSid: STREAM, media: { payload: PAYLOAD }, track: 'outbound' },
      "additional properties 'track'",
    ],
    [
      'media with extra inner fields',
      { event: 'media', streamSid: STREAM, media: { payload: PAYLOAD, timestamp: '1' } },
      "additional properties 'timestamp'",
    ],
    [
      'media without streamSid',
      { event: 'media', media: { payload: PAYLOAD } },
      "required property 'streamSid'",
    ],
    [
      'media with a payload that is not base64',
      { event: 'media', streamSid: STREAM, media: { payload: 'abc' } },
      '/media/payload must match pattern',
    ],
    [
      'an empty media payload',
      { event: 'media', streamSid: STREAM, media: { payload: '' } },
      'fewer than 1 characters',
    ],
    [
      'a clear with an extra field',
      { event: 'clear', streamSid: STREAM, reason: 'barge-in' },
      "additional properties 'reason'",
    ],
    ['an event Twilio only sends', { event: 'start', streamSid: STREAM }, "unknown to-twilio event 'start'"],
    ['a malformed streamSid', { event: 'clear', streamSid: 'stream-1' }, '/streamSid must match pattern'],
  ])('rejects %s', (_name, message, why) => {
    expectOneViolation(validateToTwilio(message), why, 'to-twilio');
  });

  it('reports text that is not JSON without throwing', () => {
    expect(validateToTwilio('nope')[0]?.why).toMatch(/not JSON/);
  });
});

describe('messages from Twilio (sent by the simulated caller)', () => {
  it.each([
    ['connected', { event: 'connected', protocol: 'Call', version: '1.0.0' }],
    [
      'start',
      {
        event: 'start',
        sequenceNumber: '1',
        start: {
          accountSid: ACCOUNT,
          streamSid: STREAM,
          callSid: CALL,
          tracks: ['inbound'],
          customParameters: { token: 'abc' },
          mediaFormat: { encoding: 'audio/x-mulaw', sampleRate: 8000, channels: 1 },
        },
        streamSid: STREAM,
      },
    ],
    [
      'media',
      {
        event: 'media',
        sequenceNumber: '2',
        media: { track: 'inbound', chunk: '1', timestamp: '0', payload: PAYLOAD },
        streamSid: STREAM,
      },
    ],
    [
      'dtmf',
      { event: 'dtmf', streamSid: STREAM, sequenceNumber: '3', dtmf: { track: 'inbound_track', digit: '#' } },
    ],
    ['mark echo', { event: 'mark', sequenceNumber: '4', streamSid: STREAM, mark: { name: 'm1' } }],
    [
      'stop',
      { event: 'stop', sequenceNumber: '5', stop: { accountSid: ACCOUNT, callSid: CALL }, streamSid: STREAM },
    ],
  ])('accepts %s', (_name, message) => {
    expect(validateFromTwilio(message)).toEqual([]);
  });

  it.each([
    [
      'numeric counters',
      {
        event: 'media',
        sequenceNumber: 2,
        media: { track: 'inbound', chunk: 1, timestamp: 0, payload: PAYLOAD },
        streamSid: STREAM,
      },
      '/sequenceNumber must be string',
    ],
    [
      'a stop without callSid',
      { event: 'stop', sequenceNumber: '5', stop: { accountSid: ACCOUNT }, streamSid: STREAM },
      "'callSid'",
    ],
    ['an unknown event', { event: 'hangup', streamSid: STREAM }, "unknown from-twilio event 'hangup'"],
  ])('rejects %s', (_name, message, why) => {
    expectOneViolation(validateFromTwilio(message), why);
  });
});
