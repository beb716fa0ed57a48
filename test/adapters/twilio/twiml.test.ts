import { connectStreamTwiml, emptyTwiml } from '../../../services/adapters/twilio/twiml.js';

describe('connectStreamTwiml', () => {
  test('connects a bidirectional stream with one Parameter per entry, values escaped', () => {
    const xml = connectStreamTwiml({
      streamUrl: 'wss://voice.example.com/media-stream',
      parameters: { token: 'abc-_123', callSid: 'CA1', note: 'a&b"<c>' },
    });
    expect(xml).toBe(
      '<?xml version="1.0" encoding="UTF-8"?><Response><Connect>' +
        '<Stream url="wss://voice.example.com/media-stream">' +
        '<Parameter name="token" value="abc-_123"/>' +
        '<Parameter name="callSid" value="CA1"/>' +
        '<Parameter name="note" value="a&amp;b&quot;&lt;c>"/>' +
        '</Stream></Connect></Response>',
    );
  });
});

describe('emptyTwiml', () => {
  test('is an empty Response', () => {
    expect(emptyTwiml()).toBe('<?xml version="1.0" encoding="UTF-8"?><Response/>');
  });
});
