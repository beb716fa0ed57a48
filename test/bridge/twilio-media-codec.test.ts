import {
  clearMessage,
  markMessage,
  mediaMessage,
  parseTwilioMessage,
} from '../../services/bridge/twilio-media-codec';

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

  it('passes a media payload through as the same string, with its timestamp', () => {
    const payload = Buffer.from('caller audio').toString('base64');
    const parsed = parseTwilioMessage(media(payload));
    expect(parsed).toEqual({ ok: true, message: { event: 'media', payload, timestampMs: 40 } });
  });

  it.each([
    ['not JSON', '{oops'],
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
  });
});
